// Terminal rendering of a run: pure functions from summaries to text.
import { isAbsolute } from 'node:path'
import type { EngineInfo } from '../../src/backends/backend.js'
import { categoryLabel } from '../../src/dataset/subjects.js'
import type { RunConfig } from '../../src/run/results.js'
import type { SubjectSummary, RunSummary } from '../../src/run/summary.js'
import { headlineOf, renderAsksHeader, renderVariantTotals } from './variants.js'
import { shownPath } from '../../src/run/shown-path.js'
import { SIMULATED_NOTE } from '../../src/base/simulated.js'
import { printable, printableLines } from './escape.js'
import { ci, ms, pct, rate, table } from './format.js'

/**
 * `5-shot`, or `5-shot (37 questions with fewer, to fit the context)` when any
 * prompt was cut, and the subjects asked with other shots and why
 * (`acme_policies 0-shot: no dev file`).
 */
export function shotsLabel(shots: number, reduced: number, inputs?: RunConfig['inputs']): string {
  const notes = reduced > 0 ? [`${reduced} question${reduced === 1 ? '' : 's'} with fewer, to fit the context`] : []
  for (const [subject, i] of Object.entries(inputs ?? {})) if (i.shots !== shots) notes.push(`${subject} ${i.shots}-shot${i.shotsNote ? `: ${i.shotsNote}` : ''}`)
  return notes.length ? `${shots}-shot (${notes.join('; ')})` : `${shots}-shot`
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** `3 errors and 1 not asked left out`: what the accuracy beside it is not over (not the model's answers); empty when nothing was. */
export function leftOutLabel(errors: number, notAsked = 0): string {
  const parts = [errors ? plural(errors, 'error') : '', notAsked ? `${notAsked} not asked` : ''].filter(Boolean)
  return parts.length ? `${parts.join(' and ')} left out` : ''
}

/** A subject's row when nothing was answered: not run, every question failed, or none asked. */
export function noneAnswered(s: Pick<SubjectSummary, 'status' | 'errors'>): string {
  return s.status === 'not-run' ? 'not run' : s.errors ? 'none answered' : 'none asked'
}

/** What a subject's row says besides its accuracy: partial, not run, not asked, errors left out, cached. */
export function subjectNote(s: SubjectSummary): string {
  const parts: string[] = []
  if (s.status === 'not-run') parts.push('not run')
  else if (s.status === 'partial') parts.push(`partial: ${s.total + s.errors} of ${s.planned ?? s.total + s.errors + s.notAsked} asked`)
  if (s.notAsked) parts.push(`${s.notAsked} not asked`)
  if (s.invalid) parts.push(`${s.invalid} invalid`)
  if (s.errors) parts.push(leftOutLabel(s.errors))
  if (s.reducedShots) parts.push(`${s.reducedShots} with fewer shots`)
  if (s.cached) parts.push(s.cached === s.total ? 'all cached' : `${s.cached} cached`)
  return parts.join(', ')
}

export function renderHeader(config: RunConfig, engines: readonly EngineInfo[], run?: Pick<RunSummary, 'reducedShots'>): string {
  const lines: string[] = []
  if (config.simulated || engines.some((e) => e.simulated)) lines.push(`MMLU  ${SIMULATED_NOTE}`)
  for (const e of engines) {
    const digest = e.digest ? ` ${e.digest.slice(0, 19)}` : ''
    const details = Object.entries(e.details)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')
    // Each field is data from the server: a line break in one is shown (␊), it starts no line of its own.
    lines.push(`MMLU  model ${printable(e.model)}${printable(digest)} · engine ${printable(e.engine)}${details ? ` (${printable(details)})` : ''}`)
    lines.push(`      weights ${printable(isAbsolute(e.source) ? shownPath(e.source) : e.source)} — ${printable(e.reason)}`)
  }
  const v = config.vitest
  lines.push(
    `      scoring ${config.scoring} · ${shotsLabel(config.shots, run?.reducedShots ?? 0, config.inputs)} · concurrency ${config.concurrency}${config.concurrencyAuto ? ` (${config.concurrencyAuto})` : ''} per ${config.servers ? `server, ${config.servers} servers` : 'file'} · ` +
      `Vitest ${v.fileParallelism ? `file parallelism on, maxWorkers ${v.maxWorkers}` : 'file parallelism off'}, ${v.workersUsed} worker${v.workersUsed === 1 ? '' : 's'} used` +
      (config.limit ? ` · first ${config.limit} questions per subject` : ''),
  )
  const asks = renderAsksHeader(config)
  if (asks) lines.push(asks)
  // Model names, server strings and reasons come from the server: shown, never obeyed.
  return printableLines(lines.join('\n'))
}

export function renderSubjectLine(s: SubjectSummary): string {
  const note = subjectNote(s)
  const bad = s.errors > 0 || s.status !== 'complete'
  const timing = s.timed > 0 ? `  ${ms(s.wallMs)}  ${rate(s.questionsPerSecond)} q/s` : ''
  return printableLines(`${bad ? '✗' : '✓'} ${s.subject}  ${s.correct}/${s.total} correct  ${pct(s.accuracy)} ${ci(s.ci95)}${timing}${note ? `  (${note})` : ''}`)
}

export function renderSubjectFailure(subject: string, errorName: string): string {
  return printableLines(`✗ ${subject}  not run: ${errorName} (below)`)
}

export function renderSubjectTable(subjects: readonly SubjectSummary[]): string {
  const rows = [['subject', 'correct', 'accuracy', '95% CI', 'wall', 'mean', 'p50', 'p95', 'q/s', '']]
  for (const s of subjects) {
    if (s.total === 0) {
      rows.push([s.subject, noneAnswered(s), '', '', '', '', '', '', '', subjectNote(s)])
      continue
    }
    rows.push([
      s.subject,
      `${s.correct}/${s.total}`,
      pct(s.accuracy),
      ci(s.ci95),
      // Nothing timed (every answer cached): blank, not zeros.
      ...(s.timed > 0 ? [ms(s.wallMs), ms(s.latencyMs.mean), ms(s.latencyMs.p50), ms(s.latencyMs.p95), rate(s.questionsPerSecond)] : ['', '', '', '', '']),
      subjectNote(s),
    ])
  }
  return printableLines(table(rows, new Set([1, 2, 4, 5, 6, 7, 8])))
}

/** `3 malformed, 1 stale` */
export function countsLabel(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ')
}

export function renderTotals(run: RunSummary, config?: Pick<RunConfig, 'protocol' | 'asks'>): string {
  const left = leftOutLabel(run.errors, run.notAsked)
  // A sample's micro is the full set's estimate (summary.ts), not correct ÷ asked.
  const micro = `${pct(run.microAccuracy)} ${ci(run.microCi95)} micro (${run.population !== undefined ? `${run.correct}/${run.questions} asked, weighted to the full set's ${run.population} questions` : `${run.correct}/${run.questions}, every question equal`}${left ? `; ${left}` : ''})`
  const macro = `${pct(run.macroAccuracy)} ${ci(run.macroCi95)} macro (${run.subjects} ${run.subjects === 1 ? 'subject' : 'subjects'}, every subject equal)`
  // A protocol whose published figures are macro averages shows the macro first.
  const lines = [`Accuracy   ${config && headlineOf(config) === 'macro' ? `${macro} · ${micro}` : `${micro} · ${macro}`}`]
  if (run.categories.length > 1 || run.subjects > 1) {
    lines.push(`Categories ${run.categories.filter((c) => c.total > 0).map((c) => `${categoryLabel(c.category)} ${pct(c.accuracy)} (${c.correct}/${c.total}${run.population !== undefined ? ' asked, weighted' : ''})`).join(' · ')}`)
  }
  lines.push(
    `Answers    ${run.correct} correct · ${run.wrong} wrong · ${run.invalid} invalid (no letter) · ${run.errors} errors` +
      (run.notAsked ? ` · ${run.notAsked} not asked` : '') +
      (run.cached ? ` · ${run.cached} from the answer cache (not timed; MMLU_CACHE=refresh asks again)` : ''),
  )
  for (const line of renderVariantTotals(run, config)) lines.push(line)
  const ignored = countsLabel(run.cacheIgnored)
  if (ignored) lines.push(`Cache      ${Object.values(run.cacheIgnored).reduce((a, b) => a + b, 0)} cached answers ignored (${ignored}) and asked again`)
  if (run.partialSubjects.length || run.notRunSubjects.length) {
    const parts = [run.notRunSubjects.length ? `not run: ${run.notRunSubjects.join(', ')}` : '', run.partialSubjects.length ? `partial: ${run.partialSubjects.join(', ')}` : ''].filter(Boolean)
    lines.push(`Subjects   ${parts.join(' · ')}`)
  }
  lines.push(renderTime(run))
  for (const note of run.notes) lines.push(`Note       ${note}`)
  return lines.join('\n')
}

/** The timing line; a view that timed nothing says so instead of printing zeros. */
export function renderTime(run: Pick<RunSummary, 'wallMs' | 'timed' | 'cached' | 'questionsPerSecond' | 'latencyMs'>): string {
  if (run.timed === 0) {
    return run.cached > 0 ? `Time       wall ${ms(run.wallMs)} · all answers from the cache: nothing timed (MMLU_CACHE=off to time)` : `Time       wall ${ms(run.wallMs)} · nothing timed (no question was answered)`
  }
  const fresh = run.cached > 0 ? ` (${run.timed} fresh answers; the ${run.cached} cached ones are not timed)` : ''
  return `Time       wall ${ms(run.wallMs)} · ${rate(run.questionsPerSecond)} q/s · latency mean ${ms(run.latencyMs.mean)}, p50 ${ms(run.latencyMs.p50)}, p95 ${ms(run.latencyMs.p95)}${fresh}`
}

/** Why the run exits 1 (empty: it exits 0), one phrase each. */
export function renderExitReasons(run: RunSummary, problems: number, interrupted: boolean): string[] {
  const reasons: string[] = []
  if (interrupted) reasons.push('the run was interrupted')
  if (run.questions === 0 && run.errors === 0 && run.notAsked === 0 && problems > 0) return [...reasons, 'no question could be asked (see the error above)']
  const errors = run.errors + problems
  if (errors) reasons.push(`${errors} error${errors === 1 ? '' : 's'} (not wrong answers) occurred`)
  if (run.notAsked) reasons.push(`${run.notAsked} question${run.notAsked === 1 ? ' was' : 's were'} not asked`)
  if (run.notRunSubjects.length) reasons.push(`${plural(run.notRunSubjects.length, 'subject')} did not run (${run.notRunSubjects.join(', ')})`)
  const partial = run.partialSubjects.filter((s) => !run.notRunSubjects.includes(s))
  if (partial.length && !run.notAsked) reasons.push(`${plural(partial.length, 'subject')} stopped part way (${partial.join(', ')})`)
  return reasons
}

/** One warning for every subject whose answers the cache could not keep, each file named (the first few, then a count). */
export function renderCacheWriteErrors(errors: readonly { subject: string; error: string }[], shown = 4): string {
  const named = errors.slice(0, shown).map((e) => e.error)
  const more = errors.length > shown ? `; and ${errors.length - shown} more subjects (all in the results JSON, cacheWriteErrors)` : ''
  const subjects = errors.length === 1 ? '' : ` for ${errors.length} subjects`
  return `Warning    the answer cache is not being written${subjects} (${named.join('; ')}${more}): this run's answers count, but a rerun will ask them again.`
}
