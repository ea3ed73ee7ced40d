// A run put together from what its subject files recorded: the run config,
// the engines, the summaries and analyses, and the results file. The reporter
// calls it at the end of a run and again, synchronously, when a run is
// interrupted, so both paths write the same kind of file.
import { analyzeRun } from '../analysis/run.js'
import type { RunAnalysis } from '../analysis/run.js'
import type { EngineInfo, QuestionRecord } from '../base/record.js'
import { maxOf } from '../base/extent.js'
import type { Options } from '../config/options.js'
import { describeSample } from '../prompt/variants.js'
import type { AskConfig, ResultsFile, RunConfig, SubjectRun } from './results.js'
import { RESULTS_SCHEMA_VERSION } from './results.js'
import type { GivenUpSummary } from './servers-report.js'
import { concurrencyUsed, summarizeGivenUp } from './servers-report.js'
import type { RunSummary, SubjectSummary } from './summary.js'
import { summarizeRun } from './summary.js'

/** What the test runner knows and the records do not. */
export interface RunnerFacts {
  /** The pool size for the subject files, and how many workers they used. */
  maxWorkers: number
  workersUsed: number
}

export interface RunParts {
  options: Options
  runner: RunnerFacts
  /** The subject files' run facts (absent for a file that never started, and on the interrupted path). */
  runs: readonly SubjectRun[]
  /** One summary per subject, in the order the run shows them, including those not run. */
  subjects: SubjectSummary[]
  /** Every question's record, in the order they are written. */
  records: QuestionRecord[]
  wallMs: number
}

/** A run's figures, before its status is known (the exit reasons need the summary). */
export interface AssembledRun {
  config: RunConfig
  engines: EngineInfo[]
  summary: RunSummary
  subjects: SubjectSummary[]
  analysis: RunAnalysis
  givenUp: GivenUpSummary[]
  cacheWriteErrors: { subject: string; error: string }[]
  /** The highest worker's peak RSS, when an embedded engine recorded one. */
  peakRssBytes: number | undefined
  records: QuestionRecord[]
}

export function assembleRun(parts: RunParts): AssembledRun {
  const { runs, records } = parts
  return {
    config: runConfig(parts.options, runs, parts.runner),
    engines: uniqueEngines(runs),
    summary: summarizeRun(parts.subjects, records, parts.wallMs),
    subjects: parts.subjects,
    analysis: analyzeRun(records),
    givenUp: summarizeGivenUp(runs.flatMap((r) => r.serversGivenUp ?? []), records),
    cacheWriteErrors: runs.flatMap((r) => (r.cacheWriteError ? [{ subject: r.subject, error: r.cacheWriteError }] : [])),
    peakRssBytes: peakRss(runs),
    records,
  }
}

/** The results file of an assembled run, stamped now. */
export function resultsFileOf(run: AssembledRun, status: ResultsFile['status']): ResultsFile {
  return {
    schema: RESULTS_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    status,
    config: run.config,
    provenance: run.engines,
    summary: run.summary,
    subjects: run.subjects,
    analysis: run.analysis,
    ...(run.givenUp.length ? { serversGivenUp: run.givenUp } : {}),
    ...(run.cacheWriteErrors.length ? { cacheWriteErrors: run.cacheWriteErrors } : {}),
    ...(run.peakRssBytes !== undefined ? { peakRssBytes: run.peakRssBytes } : {}),
    records: run.records,
  }
}

/** First question's start to last question's end. */
export function questionSpanMs(records: readonly QuestionRecord[]): number {
  let start = Infinity
  let end = -Infinity
  for (const r of records) {
    start = Math.min(start, r.startedAt)
    end = Math.max(end, r.startedAt + r.latencyMs)
  }
  return records.length ? end - start : 0
}

function runConfig(options: Options, runs: readonly SubjectRun[], runner: RunnerFacts): RunConfig {
  const first = runs[0]
  const used = concurrencyUsed(options.concurrency, runs.map((r) => r.session))
  const servers = first?.engine.details.servers
  return {
    model: first?.engine.model ?? options.model,
    ...(runs.some((r) => r.engine.simulated) ? { simulated: true as const } : {}),
    engine: first?.engine.engine ?? 'unknown',
    scoring: first?.scoring ?? options.scoring ?? 'logprob',
    shots: options.shots,
    concurrency: used.level,
    ...(used.auto ? { concurrencyAuto: used.auto } : {}),
    ...(typeof servers === 'number' ? { servers } : {}),
    vitest: { fileParallelism: runner.maxWorkers > 1, maxWorkers: runner.maxWorkers, workersUsed: runner.workersUsed },
    dataDir: options.dataDir,
    limit: options.limit,
    ...(options.protocol ? { protocol: options.protocol } : {}),
    ...(asksConfig(options) ? { asks: asksConfig(options) } : {}),
    ...(options.promptFormat === 'chat' ? { promptFormat: 'chat' as const } : {}),
    inputs: Object.fromEntries(runs.map((r) => [r.subject, r.inputs])),
  }
}

/** Sampling, trials, rotation and sample, when any is set (a default run's config stays as it was). */
function asksConfig(o: Options): AskConfig | undefined {
  if (o.temperature === 0 && o.trials === 1 && !o.rotate && !o.sample) return undefined
  return { temperature: o.temperature, trials: o.trials, rotate: o.rotate, seed: o.seed, ...(o.sample ? { sample: describeSample(o.sample) } : {}) }
}

function peakRss(runs: readonly SubjectRun[]): number | undefined {
  const peaks = runs.flatMap((r) => (r.peakRssBytes === undefined ? [] : [r.peakRssBytes]))
  return peaks.length ? maxOf(peaks) : undefined
}

function uniqueEngines(runs: readonly SubjectRun[]): EngineInfo[] {
  const seen = new Map<string, EngineInfo>()
  for (const r of runs) seen.set(`${r.engine.engine}|${r.engine.source}|${r.engine.digest}`, r.engine)
  return [...seen.values()]
}
