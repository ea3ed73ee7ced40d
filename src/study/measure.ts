// Timing measures of one run, from its results file alone. Pure.
//
// The work time of a run is its *busy time*: the length of the union of its
// subject files' spans (first question's start to last question's end). One
// file after the other, that is Σ of the files' own times; files in parallel,
// the span from the first start to the last end. Either way Vitest's start-up,
// model loading and the gaps between files are left out: they are not what
// the seed's experiment compares, and on a loaded machine they are noise.
// Only fresh answers are timed (cached ones cost nothing this run).
import { isTimed } from '../base/record.js'
import type { QuestionRecord, ResultsFile } from '../run/results.js'
import type { LatencySummary } from '../run/summary.js'
import { mean, percentile } from '../base/stats.js'
import { isSimulatedRun, simulatedMismatch } from '../base/simulated.js'

export interface Interval {
  start: number
  end: number
}

export interface SubjectMeasure {
  subject: string
  /** Timed questions (fresh answers, errors excluded). */
  questions: number
  /** Epoch ms of the first start and the last end. */
  start: number
  end: number
  wallMs: number
  latencyMs: LatencySummary
}

export interface RunMeasure {
  questions: number
  errors: number
  /** Answers taken from the answer cache: not timed. */
  cached: number
  subjects: SubjectMeasure[]
  /** Union of the subject spans: the run's work time. */
  busyMs: number
  /** Σ subject walls ÷ busy time: 1 when files ran one after the other, about N when N really overlapped. */
  overlap: number
  /** Timed questions per second of busy time. */
  throughput: number
  latencyMs: LatencySummary
  /** The reporter's wall time: Vitest's start to end, loading included. */
  processWallMs: number
  concurrency: number
  workersUsed: number
  /** llama.cpp threads per worker, when the engine reports them. */
  threads?: number
  engine: string
  model: string
  /** Answered by the test double (src/base/simulated.ts). */
  simulated?: true
}

export { isTimed } from '../base/record.js'

export function latencySummary(records: readonly QuestionRecord[]): LatencySummary {
  const xs = records.map((r) => r.latencyMs)
  return { mean: mean(xs), p50: percentile(xs, 50), p95: percentile(xs, 95) }
}

/** Total length covered by the intervals, overlaps counted once. */
export function unionLength(intervals: readonly Interval[]): number {
  const sorted = [...intervals].filter((i) => i.end > i.start).sort((a, b) => a.start - b.start)
  let total = 0
  let start = -Infinity
  let end = -Infinity
  for (const i of sorted) {
    if (i.start > end) {
      if (end > start) total += end - start
      start = i.start
      end = i.end
    } else end = Math.max(end, i.end)
  }
  if (end > start) total += end - start
  return total
}

function bySubject(records: readonly QuestionRecord[]): Map<string, QuestionRecord[]> {
  const out = new Map<string, QuestionRecord[]>()
  for (const r of records) {
    const list = out.get(r.subject)
    if (list) list.push(r)
    else out.set(r.subject, [r])
  }
  return out
}

export function measureSubject(subject: string, records: readonly QuestionRecord[]): SubjectMeasure {
  const timed = records.filter(isTimed)
  let start = Infinity
  let end = -Infinity
  for (const r of timed) {
    start = Math.min(start, r.startedAt)
    end = Math.max(end, r.startedAt + r.latencyMs)
  }
  return { subject, questions: timed.length, start, end, wallMs: timed.length ? end - start : 0, latencyMs: latencySummary(timed) }
}

function threadsOf(results: Partial<Pick<ResultsFile, 'provenance'>>): { threads?: number } {
  const threads = results.provenance?.[0]?.details.threads
  return typeof threads === 'number' ? { threads } : {}
}

/** From a results file, or the parts of one a reporter has in hand at the end of a run. */
export function measureRun(results: Pick<ResultsFile, 'records' | 'config' | 'summary'> & Partial<Pick<ResultsFile, 'provenance'>>): RunMeasure {
  const subjects = [...bySubject(results.records)].map(([subject, records]) => measureSubject(subject, records))
  const timed = results.records.filter(isTimed)
  const busyMs = unionLength(subjects.filter((s) => s.questions > 0))
  const sumWalls = subjects.reduce((t, s) => t + s.wallMs, 0)
  return {
    questions: timed.length,
    errors: results.records.filter((r) => r.outcome === 'error').length,
    cached: results.records.filter((r) => r.cached).length,
    subjects,
    busyMs,
    overlap: busyMs > 0 ? sumWalls / busyMs : NaN,
    throughput: busyMs > 0 ? timed.length / (busyMs / 1000) : NaN,
    latencyMs: latencySummary(timed),
    processWallMs: results.summary.wallMs,
    concurrency: results.config.concurrency,
    workersUsed: results.config.vitest.workersUsed,
    ...threadsOf(results),
    engine: results.config.engine,
    model: results.config.model,
    ...(isSimulatedRun(results) ? { simulated: true as const } : {}),
  }
}

/** This run against a sequential baseline of the same machine (MMLU_SPEEDUP_BASELINE, or the study's own runs). */
export interface SpeedupComparison {
  /** Baseline busy time ÷ this run's, normalized per question (a throughput ratio), so runs of different sizes compare too. */
  speedup: number
  /** Mean latency now ÷ in the baseline. */
  latencyInflation: number
  baseline: RunMeasure
  current: RunMeasure
  /** Why the two runs are not like for like (different questions, model or engine); empty when they are. */
  caveats: string[]
}

export function compareSpeed(baseline: RunMeasure, current: RunMeasure): SpeedupComparison {
  const caveats: string[] = []
  if (baseline.questions !== current.questions) caveats.push(`the baseline timed ${baseline.questions} questions, this run ${current.questions}: speedup compares questions per second`)
  if (baseline.model !== current.model || baseline.engine !== current.engine) caveats.push(`the baseline ran ${baseline.model} on ${baseline.engine}, this run ${current.model} on ${current.engine}`)
  const simulated = simulatedMismatch({ config: baseline }, { config: current }, { reference: 'the baseline', other: 'this run' })
  if (simulated) caveats.push(`${simulated.replace(/: a simulated run is never paired with a real one$/, '')}: its speed says nothing about ${current.simulated ? "the baseline's" : "this run's"}`)
  if (baseline.workersUsed > 1 || baseline.concurrency > 1) caveats.push(`the baseline was not sequential (${baseline.workersUsed} workers, concurrency ${baseline.concurrency})`)
  const speedup = current.throughput / baseline.throughput
  // More than the parallelism can give: something besides parallelism changed, say what.
  const slots = current.workersUsed * current.concurrency
  if (baseline.workersUsed * baseline.concurrency === 1 && speedup > slots * 1.05) {
    const threads =
      current.threads !== undefined && baseline.threads !== undefined && current.threads !== baseline.threads
        ? `each worker's llama.cpp ran ${current.threads} thread${current.threads === 1 ? '' : 's'}, the baseline's ${baseline.threads}, and a question costs less per thread with fewer threads on this machine`
        : 'the runs differ in more than parallelism (threads, a warm page cache, other load on the machine)'
    caveats.push(`the speedup ${speedup.toFixed(2)}× is more than the ${slots} question${slots === 1 ? '' : 's'} in flight can give: ${threads}`)
  }
  return {
    speedup,
    latencyInflation: current.latencyMs.mean / baseline.latencyMs.mean,
    baseline,
    current,
    caveats,
  }
}

/** The median (NaN for none). */
export const median = (xs: readonly number[]): number => percentile(xs, 50)
