// Terminal rendering of a run: pure functions from summaries to text.
import type { EngineInfo } from '../../src/backends/backend.js'
import { CATEGORY_LABELS } from '../../src/dataset/subjects.js'
import type { RunConfig } from '../../src/results.js'
import type { SubjectSummary, RunSummary } from '../../src/summary.js'

export const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–')
export const ci = (i: { low: number; high: number }): string => `[${(i.low * 100).toFixed(1)}, ${(i.high * 100).toFixed(1)}]`
export const ms = (x: number): string => (!Number.isFinite(x) ? '–' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 2 : 0)} ms`)
export const rate = (x: number): string => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : '–')

function table(rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)))
  return rows
    .map((r) => r.map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd())
    .join('\n')
}

export function renderHeader(config: RunConfig, engines: readonly EngineInfo[]): string {
  const lines: string[] = []
  for (const e of engines) {
    const digest = e.digest ? ` ${e.digest.replace(/^sha256:/, 'sha256:').slice(0, 19)}` : ''
    const details = Object.entries(e.details)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')
    lines.push(`MMLU  model ${e.model}${digest} · engine ${e.engine}${details ? ` (${details})` : ''}`)
    lines.push(`      weights ${e.source} — ${e.reason}`)
  }
  const v = config.vitest
  lines.push(
    `      scoring ${config.scoring} · ${config.shots}-shot · concurrency ${config.concurrency}${config.concurrencyAuto ? ` (${config.concurrencyAuto})` : ''} per ${config.servers ? `server, ${config.servers} servers` : 'file'} · ` +
      `Vitest ${v.fileParallelism ? `file parallelism on, maxWorkers ${v.maxWorkers}` : 'file parallelism off'}, ${v.workersUsed} worker${v.workersUsed === 1 ? '' : 's'} used` +
      (config.limit ? ` · first ${config.limit} questions per subject` : ''),
  )
  return lines.join('\n')
}

export function renderSubjectLine(s: SubjectSummary): string {
  const issues = [s.invalid ? `${s.invalid} invalid` : '', s.errors ? `${s.errors} errors` : ''].filter(Boolean).join(', ')
  return `${s.errors ? '✗' : '✓'} ${s.subject}  ${s.correct}/${s.total} correct  ${pct(s.accuracy)} ${ci(s.ci95)}  ${ms(s.wallMs)}  ${rate(s.questionsPerSecond)} q/s${issues ? `  (${issues})` : ''}`
}

export function renderSubjectFailure(subject: string, errorName: string): string {
  return `✗ ${subject}  not run: ${errorName} (below)`
}

export function renderSubjectTable(subjects: readonly SubjectSummary[]): string {
  const rows = [['subject', 'correct', 'accuracy', '95% CI', 'wall', 'mean', 'p50', 'p95', 'q/s']]
  for (const s of subjects) {
    if (s.total === 0) {
      rows.push([s.subject, 'not run', '', '', '', '', '', '', ''])
      continue
    }
    rows.push([
      s.subject,
      `${s.correct}/${s.total}`,
      pct(s.accuracy),
      ci(s.ci95),
      ms(s.wallMs),
      ms(s.latencyMs.mean),
      ms(s.latencyMs.p50),
      ms(s.latencyMs.p95),
      rate(s.questionsPerSecond),
    ])
  }
  return table(rows, new Set([1, 2, 4, 5, 6, 7, 8]))
}

export function renderTotals(run: RunSummary): string {
  const lines = [
    `Accuracy   ${pct(run.microAccuracy)} ${ci(run.microCi95)} micro (${run.correct}/${run.questions}, every question equal) · ${pct(run.macroAccuracy)} macro (${run.subjects} subjects, every subject equal)`,
  ]
  if (run.categories.length > 1 || run.subjects > 1) {
    lines.push(`Categories ${run.categories.filter((c) => c.total > 0).map((c) => `${CATEGORY_LABELS[c.category]} ${pct(c.accuracy)} (${c.correct}/${c.total})`).join(' · ')}`)
  }
  lines.push(
    `Answers    ${run.correct} correct · ${run.wrong} wrong · ${run.invalid} invalid (no letter) · ${run.errors} errors` +
      (run.cached ? ` · ${run.cached} from the answer cache (not timed; MMLU_CACHE=refresh asks again)` : ''),
  )
  lines.push(
    `Time       wall ${ms(run.wallMs)} · ${rate(run.questionsPerSecond)} q/s · latency mean ${ms(run.latencyMs.mean)}, p50 ${ms(run.latencyMs.p50)}, p95 ${ms(run.latencyMs.p95)}`,
  )
  lines.push(`Overlap    Σ file time ${ms(run.sumFileMs)} ÷ wall ${ms(run.wallMs)} = ${rate(run.overlap)}×`)
  return lines.join('\n')
}
