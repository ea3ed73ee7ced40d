// The GitHub Actions job summary ($GITHUB_STEP_SUMMARY): GitHub-flavoured
// Markdown from the results and the gate's verdict. Pure.
//   - the run's header (model, engine, scoring, shots);
//   - the per-subject table, with each subject's threshold and baseline verdict;
//   - calibration and answer letters (src/analysis);
//   - the gate verdicts (breaches, the paired comparison) and the flipped questions.
import { categoryLabel } from '../../src/dataset/subjects.js'
import type { BaselineComparison, GateVerdict, PairedComparison, ThresholdCheck } from '../../src/gate/index.js'
import { formatP } from '../../src/gate/index.js'
import { analysisOf } from '../../src/analysis/run.js'
import type { ResultsFile } from '../../src/run/results.js'
import { renderAnalysisMarkdown } from './analysis.js'
import { formatCheck, formatFlip, unmatchedModelsWarning, verdictLabel } from './gate.js'
import { renderServersMarkdown } from './servers.js'
import { summarizeServers } from '../../src/run/servers-report.js'
import { countsLabel, leftOutLabel, noneAnswered, shotsLabel, subjectNote } from './terminal.js'
import { ci, pct } from './format.js'
import { md, mdRow, printable } from './escape.js'
import { asksLabel, headlineOf, markdownVariants, protocolLabel } from './variants.js'
import { isSimulatedRun, SIMULATED_NOTE } from '../../src/base/simulated.js'

const RUN_STATUS: Record<string, string> = { passed: 'every question answered', failed: 'errors occurred', interrupted: 'interrupted' }

const code = (text: string) => `\`${printable(text.replace(/\r?\n/g, ' ')).replace(/`/g, "'")}\``

/** A row of data cells: each escaped (md). */
function row(cells: readonly string[]): string {
  return mdRow(cells.map(md))
}

function thresholdCell(c: ThresholdCheck | undefined): string {
  if (!c) return ''
  return `${c.breached ? '❌' : '✅'} ${pct(c.min)}`
}

function baselineCell(p: PairedComparison | undefined): string {
  if (!p) return ''
  const mark = p.verdict === 'regression' ? '❌' : p.verdict === 'improvement' ? '⬆️' : '✅'
  return `${mark} −${p.rightToWrong} / +${p.wrongToRight}, p ${formatP(p.pValue)}`
}

function comparisonTable(c: BaselineComparison): string[] {
  const lines = [
    row(['subject', 'paired', 'baseline', 'now', 'right→wrong', 'wrong→right', 'p (exact McNemar)', 'Holm-adjusted p', 'verdict']),
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ]
  for (const p of [...c.subjects, c.overall]) {
    const name = p === c.overall ? '**overall**' : md(p.name)
    lines.push(mdRow([name, ...[String(p.n), pct(p.baselineCorrect / p.n), pct(p.currentCorrect / p.n), String(p.rightToWrong), String(p.wrongToRight), formatP(p.pValue), p === c.overall ? '' : formatP(p.adjustedP)].map(md), verdictLabel(p)]))
  }
  return lines
}

function flipsSection(title: string, flips: BaselineComparison['rightToWrong'], shown: number): string[] {
  if (flips.length === 0 || shown === 0) return []
  const listed = flips.slice(0, shown).map((f) => `- ${md(formatFlip(f))}`)
  const more = flips.length > shown ? [`- … ${flips.length - shown} more (MMLU_FLIPS_SHOWN=${shown})`] : []
  return ['<details>', `<summary>${title} (${flips.length})</summary>`, '', ...listed, ...more, '', '</details>', '']
}

export interface MarkdownOptions {
  flipsShown: number
  /** A line under the title, e.g. why the gate did not run (a shard). */
  note?: string
}

export function renderMarkdownSummary(results: ResultsFile, verdict: GateVerdict | undefined, opts: MarkdownOptions): string {
  const { config, summary: run } = results
  const checks = verdict?.thresholds?.checks ?? []
  const check = (scope: ThresholdCheck['scope'], name: string) => checks.find((c) => c.scope === scope && c.name === name)
  const comparison = verdict?.baseline?.kind === 'compared' ? verdict.baseline : undefined
  const paired = (name: string) => comparison?.subjects.find((p) => p.name === name)
  const status = verdict === undefined ? '' : verdict.failed ? ' · **gate ❌ failed**' : ' · **gate ✅ passed**'

  const out: string[] = [
    `## ${isSimulatedRun(results) ? 'SIMULATED · ' : ''}MMLU · ${md(config.model)}${status}`,
    '',
    ...(isSimulatedRun(results) ? [`> **${md(SIMULATED_NOTE)}.**`, ''] : []),
    `${md(config.engine)} · ${config.scoring} · ${md(shotsLabel(config.shots, run.reducedShots ?? 0, config.inputs))} · ${run.questionsAsked !== undefined ? `${run.questionsAsked} questions (${run.questions} asks)` : `${run.questions} questions`} in ${run.subjects} subjects${config.limit ? ` (first ${config.limit} per subject)` : ''} · ${RUN_STATUS[results.status] ?? results.status}`,
    '',
  ]
  const asks = [protocolLabel(config), asksLabel(config)].filter(Boolean).join(' · ')
  if (asks) out.push(md(asks), '')
  if (opts.note) out.push(`> ${opts.note}`, '')
  for (const note of run.notes ?? []) out.push(`> **Note:** ${md(note)}`, '')
  const ignored = countsLabel(run.cacheIgnored ?? {})
  const micro = `${pct(run.microAccuracy)} ${ci(run.microCi95)}`
  const macro = `${pct(run.macroAccuracy)}${run.macroCi95 ? ` ${ci(run.macroCi95)}` : ''}`
  const left = leftOutLabel(run.errors, run.notAsked)
  // A sample's micro is the full set's estimate, not correct ÷ asked.
  const counted = `${run.correct}/${run.questions}${run.population !== undefined ? ` asked, weighted to the full set's ${run.population}` : ''}${left ? `; ${left}` : ''}`
  out.push(
    (headlineOf(config) === 'macro' ? `**Accuracy ${macro}** macro · ${micro} micro (${counted}) · ` : `**Accuracy ${micro}** micro (${counted}) · ${macro} macro · `) +
      `${run.wrong} wrong · ${run.invalid} invalid · ${run.errors} errors` +
      (run.notAsked ? ` · ${run.notAsked} not asked` : '') +
      (run.cached ? ` · ${run.cached} from the answer cache` : '') +
      (ignored ? ` · cached answers ignored: ${ignored}` : ''),
    '',
  )
  const withThresholds = checks.length > 0
  const header = ['subject', 'category', 'correct', 'accuracy', '95% CI', 'errors', ...(withThresholds ? ['threshold'] : []), ...(comparison ? ['vs baseline'] : []), 'note']
  out.push(row(header), `|---|---|---:|---:|---|---:|${withThresholds ? '---|' : ''}${comparison ? '---|' : ''}---|`)
  for (const s of results.subjects) {
    const category = s.category === 'unknown' ? '' : categoryLabel(s.category)
    const cells = s.total === 0 ? [s.subject, category, noneAnswered(s), '', '', s.errors ? String(s.errors) : ''] : [s.subject, category, `${s.correct}/${s.total}`, pct(s.accuracy), ci(s.ci95), String(s.errors)]
    if (withThresholds) cells.push(thresholdCell(check('subject', s.subject)))
    if (comparison) cells.push(baselineCell(paired(s.subject)))
    cells.push(s.status ? subjectNote(s) : '')
    out.push(row(cells))
  }
  for (const c of run.categories) {
    const cells = [`*${md(categoryLabel(c.category))}*`, '', `${c.correct}/${c.total}`, pct(c.accuracy), ci(c.ci95), '']
    if (withThresholds) cells.push(md(thresholdCell(check('category', c.category))))
    if (comparison) cells.push('')
    cells.push('')
    out.push(mdRow(cells))
  }
  const total = ['**all**', '', `${run.correct}/${run.questions}`, pct(run.microAccuracy), ci(run.microCi95), String(run.errors)]
  if (withThresholds) total.push(md(thresholdCell(check('overall', 'overall'))))
  if (comparison) total.push(md(baselineCell(comparison.overall)))
  total.push('')
  out.push(mdRow(total), '')
  for (const section of [renderServersMarkdown(summarizeServers(results.records), results.serversGivenUp), markdownVariants(results), renderAnalysisMarkdown(analysisOf(results))]) for (const l of section) out.push(l)

  if (!verdict) return `${out.join('\n')}\n`
  out.push('### Gate', '')
  if (verdict.thresholds) {
    const t = verdict.thresholds
    out.push(`Thresholds ${code(t.file)}${t.model ? ` (model ${code(t.model)})` : ''}: ${t.checks.length} checked, ${t.breaches.length} breached.`, '')
    const warning = unmatchedModelsWarning(t)
    if (warning) out.push(`⚠️ ${md(warning)}`, '')
    for (const b of t.breaches) out.push(`- ❌ ${md(formatCheck(b).replace(/^✗ /, ''))}`)
    const macro = check('macro', 'macro')
    if (macro && !macro.breached) out.push(`- ✅ ${md(formatCheck(macro).replace(/^✓ /, ''))}`)
    if (t.notRun.length) out.push(`- not checked (not in this run): ${md(t.notRun.join(', '))}`)
    if (t.breaches.length || macro || t.notRun.length) out.push('')
  }
  const b = verdict.baseline
  if (b?.kind === 'refused') {
    out.push(`Baseline ${code(b.file)}: **not compared**, the runs are not comparable question by question.`, '')
    for (const r of b.reasons) out.push(`- ❌ ${md(r)}`)
    out.push('', 'Compare runs made with the same shots, prompts and data, or accept this run as the new baseline (`MMLU_BASELINE=<file> npm run baseline:accept`).', '')
  } else if (b) {
    const m = b.subjects.length
    out.push(
      `Baseline ${code(b.file)} (${md(b.baseline.model)}, ${md(b.baseline.createdAt)}): ` +
        (b.overall.questions
          ? `${b.overall.n} asks of ${b.overall.questions.n} questions paired trial with trial and rotation with rotation; exact McNemar test over questions (${b.overall.questions.worse} worse, ${b.overall.questions.better} better on the whole), `
          : `${b.overall.n} questions paired by subject and index; exact McNemar test, `) +
        `α ${b.alpha}${m > 1 ? `, Holm-adjusted across ${m} subjects` : ''}; tolerance ${b.tolerance === undefined ? 'none' : `${(b.tolerance * 100).toFixed(1)} points`}.`,
      '',
    )
    for (const row of comparisonTable(b)) out.push(row)
    out.push('')
    if (b.onlyCurrent || b.onlyBaseline) out.push(`Not paired: ${b.onlyCurrent} questions only in this run, ${b.onlyBaseline} only in the baseline.`, '')
    for (const section of [flipsSection('Flipped right→wrong', b.rightToWrong, opts.flipsShown), flipsSection('Flipped wrong→right', b.wrongToRight, opts.flipsShown)]) for (const l of section) out.push(l)
  }
  out.push(verdict.failed ? `**Gate failed:** ${md(verdict.reasons.join('; '))}.` : '**Gate passed.**', '')
  return `${out.join('\n')}\n`
}
