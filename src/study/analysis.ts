// What a study's runs add up to: the seed's tables, speedup and latency
// inflation of files in parallel, throughput against in-file concurrency.
// Pure: runs in, figures out. The explanation (explain.ts) reads these figures.
import type { EngineInfo } from '../base/record.js'
import type { ScoringMode } from '../config/options.js'
import type { Interval as Ci } from '../base/stats.js'
import { wilson } from '../base/stats.js'
import type { QuestionRecord, ResultsFile } from '../run/results.js'
import type { LatencySummary } from '../run/summary.js'
import type { RunMeasure } from './measure.js'
import { isTimed, latencySummary, median } from './measure.js'
import { maxOf, minOf } from '../base/extent.js'

/** `servers`: the sequential profile over every server the environment lists (OLLAMA_HOST=a,b); the other kinds use the first alone. */
export type RunKind = 'sequential' | 'files' | 'concurrent' | 'servers'

export interface StudyRun {
  kind: RunKind
  /** 1-based, within its kind and concurrency. */
  repeat: number
  concurrency: number
  /** Vitest's maxWorkers for the run (1 for one file at a time). */
  maxWorkers: number
  /** Where the run's results JSON is. */
  resultsFile: string
  results: ResultsFile
  measure: RunMeasure
}

/** A profile's runs together: medians of the run figures, latency over every timed question of every run. */
export interface ProfileFigures {
  runs: StudyRun[]
  busyMs: number
  throughput: number
  latencyMs: LatencySummary
  workersUsed: number
}

export interface SweepPoint extends ProfileFigures {
  concurrency: number
  /** Throughput ÷ throughput at concurrency 1. */
  gain: number
  /** Mean latency ÷ mean latency at concurrency 1. */
  latencyInflation: number
}

export interface SubjectAccuracy {
  subject: string
  correct: number
  total: number
  accuracy: number
  ci95: Ci
  /** Correct answers in each run of the study, in run order: greedy answers repeat, so these should agree. */
  correctByRun: number[]
}

/** What one question asked of the engine. Decode sizes decide what batching can share. */
export interface QuestionWork {
  scoring: ScoringMode
  /** Mean new prompt tokens per question (after prefix reuse), evaluated in one decode. */
  promptTokens: number
  /** Mean tokens generated per question; each after the first takes a decode of its own. */
  generatedTokens: number
}

export interface StudyAnalysis {
  engine: EngineInfo | undefined
  /** From the one-at-a-time runs (concurrency 1) when there are any. */
  work: QuestionWork | undefined
  accuracy: SubjectAccuracy[]
  sequential: ProfileFigures | undefined
  files: ProfileFigures | undefined
  /** Sequential work time ÷ parallel work time (as a throughput ratio); undefined without both profiles. */
  speedup: number | undefined
  /** Mean latency in parallel ÷ sequential. */
  latencyInflation: number | undefined
  /** In-file concurrency levels, ascending; concurrency 1 is the sequential profile's runs when there are any. */
  sweep: SweepPoint[]
  /** The sequential profile over N servers; undefined when the environment lists one. */
  servers: (ProfileFigures & { count: number }) | undefined
  /** Throughput over N servers ÷ throughput of the first alone (the sequential profile). */
  serversGain: number | undefined
  /** Mean latency over N servers ÷ sequential. */
  serversLatencyInflation: number | undefined
}

function figures(runs: StudyRun[]): ProfileFigures {
  const records = runs.flatMap((r) => r.results.records.filter(isTimed))
  return {
    runs,
    busyMs: median(runs.map((r) => r.measure.busyMs)),
    throughput: median(runs.map((r) => r.measure.throughput)),
    latencyMs: latencySummary(records),
    workersUsed: maxOf(runs.map((r) => r.measure.workersUsed)),
  }
}

function questionWork(runs: readonly StudyRun[]): QuestionWork | undefined {
  const records = runs.flatMap((r) => r.results.records.filter(isTimed))
  const first = runs[0]
  if (!first || records.length === 0) return undefined
  const mean = (f: (r: QuestionRecord) => number): number => records.reduce((sum, r) => sum + f(r), 0) / records.length
  return {
    scoring: first.results.config.scoring,
    promptTokens: mean((r) => r.evaluatedTokens - Math.max(0, r.completionTokens - 1)),
    generatedTokens: mean((r) => r.completionTokens),
  }
}

function accuracy(runs: readonly StudyRun[]): SubjectAccuracy[] {
  const first = runs[0]
  if (!first) return []
  return first.results.subjects.map((s) => ({
    subject: s.subject,
    correct: s.correct,
    total: s.total,
    accuracy: s.accuracy,
    ci95: wilson(s.correct, s.total),
    correctByRun: runs.map((r) => r.results.subjects.find((x) => x.subject === s.subject)?.correct ?? NaN),
  }))
}

export function analyzeStudy(runs: readonly StudyRun[]): StudyAnalysis {
  const of = (kind: RunKind) => runs.filter((r) => r.kind === kind)
  const sequentialRuns = of('sequential')
  const fileRuns = of('files')
  const sequential = sequentialRuns.length ? figures(sequentialRuns) : undefined
  const files = fileRuns.length ? figures(fileRuns) : undefined

  const levels = new Map<number, StudyRun[]>()
  if (sequentialRuns.length) levels.set(1, sequentialRuns)
  for (const r of of('concurrent')) levels.set(r.concurrency, [...(levels.get(r.concurrency) ?? []), r])
  const points = [...levels].sort(([a], [b]) => a - b).map(([concurrency, rs]) => ({ concurrency, ...figures(rs) }))
  const one = points.find((p) => p.concurrency === 1)
  const sweep: SweepPoint[] = points.map((p) => ({
    ...p,
    gain: one ? p.throughput / one.throughput : NaN,
    latencyInflation: one ? p.latencyMs.mean / one.latencyMs.mean : NaN,
  }))

  const serverRuns = of('servers')
  const servers = serverRuns.length ? { ...figures(serverRuns), count: maxOf(serverRuns.map((r) => serverCountOf(r))) } : undefined

  const ordered = [...sequentialRuns, ...fileRuns, ...of('concurrent'), ...serverRuns]
  return {
    engine: ordered[0]?.results.provenance[0],
    work: questionWork(one?.runs ?? ordered),
    accuracy: accuracy(ordered),
    sequential,
    files,
    speedup: sequential && files ? files.throughput / sequential.throughput : undefined,
    latencyInflation: sequential && files ? files.latencyMs.mean / sequential.latencyMs.mean : undefined,
    sweep,
    servers,
    serversGain: sequential && servers ? servers.throughput / sequential.throughput : undefined,
    serversLatencyInflation: sequential && servers ? servers.latencyMs.mean / sequential.latencyMs.mean : undefined,
  }
}

/** How many servers a run spread its questions over (its config, or the engine's details). */
export function serverCountOf(run: StudyRun): number {
  const details = run.results.provenance[0]?.details.servers
  return run.results.config.servers ?? (typeof details === 'number' ? details : 1)
}

/** One bar of the timeline: a question from its start to its end, in seconds from the run's first start. */
export interface TimelineBar {
  subject: string
  index: number
  start: number
  end: number
  /** Row within the subject, so questions in flight together do not cover each other. */
  lane: number
}

/**
 * Every timed question of a run as a bar, each subject's questions spread
 * over as few lanes as overlap needs (first free lane, in start order).
 */
export function timeline(records: readonly QuestionRecord[]): { bars: TimelineBar[]; lanes: Map<string, number> } {
  const timed = records.filter(isTimed)
  const t0 = minOf(timed.map((r) => r.startedAt))
  const bars: TimelineBar[] = []
  const lanes = new Map<string, number>()
  const laneEnds = new Map<string, number[]>()
  for (const r of [...timed].sort((a, b) => a.startedAt - b.startedAt || a.index - b.index)) {
    const start = (r.startedAt - t0) / 1000
    const end = (r.startedAt + r.latencyMs - t0) / 1000
    const ends = laneEnds.get(r.subject) ?? []
    // startedAt has whole milliseconds, latency fractions of one: 2 ms of slack keeps back-to-back questions in one lane.
    let lane = ends.findIndex((e) => e <= start + 0.002)
    if (lane < 0) lane = ends.push(end) - 1
    else ends[lane] = end
    laneEnds.set(r.subject, ends)
    lanes.set(r.subject, ends.length)
    bars.push({ subject: r.subject, index: r.index, start, end, lane })
  }
  return { bars, lanes }
}
