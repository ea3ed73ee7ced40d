// The reporter's view of a parallel run (several workers, or several
// questions in flight per file): each file's own wall time and latency next to
// the run's, with a small timeline that shows whether the files overlapped;
// and, given a sequential baseline (MMLU_SPEEDUP_BASELINE), the real speedup
// and latency inflation. Pure: measures in, text out.
import type { RunMeasure, SpeedupComparison } from '../../src/study/measure.js'
import { ms, rate } from './format.js'
import { maxOf, minOf } from '../../src/base/extent.js'

const TIMELINE_WIDTH = 32

/** `····████████··`: where in the run's span a file was busy. */
export function timelineBar(start: number, end: number, t0: number, t1: number, width = TIMELINE_WIDTH): string {
  const span = t1 - t0
  if (!(span > 0)) return '█'.repeat(width)
  const from = Math.max(0, Math.min(width - 1, Math.floor(((start - t0) / span) * width)))
  const to = Math.max(from + 1, Math.min(width, Math.ceil(((end - t0) / span) * width)))
  return '·'.repeat(from) + '█'.repeat(to - from) + '·'.repeat(width - to)
}

export function renderParallel(m: RunMeasure, runWallMs: number): string {
  const files = m.subjects.filter((s) => s.questions > 0)
  if (files.length === 0) return ''
  const t0 = minOf(files.map((s) => s.start))
  const t1 = maxOf(files.map((s) => s.end))
  const rows = [['file', 'own wall', 'from', 'to', 'mean', 'p95', 'q/s', `timeline (${ms(t1 - t0)})`]]
  for (const s of files) {
    rows.push([s.subject, ms(s.wallMs), ms(s.start - t0), ms(s.end - t0), ms(s.latencyMs.mean), ms(s.latencyMs.p95), rate(s.questions / (s.wallMs / 1000)), timelineBar(s.start, s.end, t0, t1)])
  }
  const widths = rows[0]!.map((_, c) => maxOf(rows.map((r) => r[c]!.length)))
  const table = rows.map((r) => r.map((cell, c) => (c === 0 || c === r.length - 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd())
  const head =
    `Parallel   ${m.workersUsed} worker${m.workersUsed === 1 ? '' : 's'} · ${m.concurrency} question${m.concurrency === 1 ? '' : 's'} in flight per file · ` +
    `run wall ${ms(runWallMs)} · work ${ms(m.busyMs)} (questions in flight) · ${rate(m.throughput)} q/s · ` +
    // From the same figures as the rows below, so they agree: Σ own walls ÷ work.
    `overlap ${rate(m.overlap)}× (Σ own walls ${ms(files.reduce((t, s) => t + s.wallMs, 0))} ÷ work)`
  return [head, ...table.map((line) => `           ${line}`)].join('\n')
}

export function renderSpeedup(c: SpeedupComparison, file: string): string {
  const lines = [
    `Speedup    ${rate(c.speedup)}× against the sequential baseline ${file}: ${rate(c.baseline.throughput)} → ${rate(c.current.throughput)} q/s, ` +
      `work ${ms(c.baseline.busyMs)} → ${ms(c.current.busyMs)}`,
    `Latency    ${rate(c.latencyInflation)}× the baseline's: mean ${ms(c.baseline.latencyMs.mean)} → ${ms(c.current.latencyMs.mean)}, p95 ${ms(c.baseline.latencyMs.p95)} → ${ms(c.current.latencyMs.p95)}`,
  ]
  for (const caveat of c.caveats) lines.push(`Note       ${caveat}`)
  return lines.join('\n')
}
