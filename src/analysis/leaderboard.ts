// Which model should I run? Kept runs side by side (`npm run leaderboard`):
// one row per run with accuracy, speed and memory, and ties said plainly.
//
// Only comparable runs are ranked together. Two runs share a table when the
// baseline gate would pair them (src/gate/baseline.ts: same prompts, shots,
// data, rotation and sampling on the subjects both asked, at least one
// question in common, not simulated against real) and they were scored the
// same way (compare warns on scoring; a leaderboard separates it). A run that
// joins no table gets its own; the table of the most runs comes first, and
// every other one names the gate's reasons against it.
//
// Ties: in each table the most accurate run is the best; every other run is
// paired with it on the questions both asked (the gate's pairing, exact
// McNemar, over questions when there are trials or rotations), and the
// p-values are Holm-adjusted over the table's runs. A run is `≈ best` unless
// it is below the best on those questions and its adjusted p is under α.
import type { PairedComparison } from './paired.js'
import { compareWithBaseline, holmAdjust } from './paired.js'
import type { ResultsFile } from '../run/results.js'
import type { Interval } from '../base/stats.js'
import { analysisOf } from './run.js'

export interface LeaderboardRun {
  /** How the run is named in every table (runLabels in ./compare.ts makes them unique). */
  label: string
  /** Where it was read from. */
  file: string
  results: ResultsFile
  /** The weights' size on disk, when the caller could find the file. */
  sizeBytes?: number
}

export interface Figure {
  accuracy: number
  ci95: Interval
}

/** The run against its table's best, on the questions both asked. */
export interface VersusBest {
  /** Questions (asks, with trials or rotations) both runs answered: the test is over these. */
  inCommon: number
  bestCorrect: number
  correct: number
  /** Right in the best, not in this run; and the reverse (with trials or rotations: questions netted worse / better). */
  worse: number
  better: number
  /** Exact two-sided McNemar p: H0 "on the questions both asked, each run is as likely as the other to be the one right when only one is". */
  pValue: number
  /** Holm-adjusted over the table's runs (every run but the best). */
  adjustedP: number
  /** Not significantly below the best (adjusted p ≥ α, or not below it at all). */
  tied: boolean
}

export interface LeaderboardRow {
  /** Index into the runs given. */
  run: number
  label: string
  file: string
  model: string
  /** From the server (Ollama's quantization level) or, for a GGUF file, from its name (`Q4_K_M`). */
  quantization?: string
  sizeBytes?: number
  engine: string
  /** The server that answered (base URL); absent for an embedded model file. */
  server?: string
  /** MMLU_PROTOCOL's name, else the scoring. */
  protocol: string
  scoring: string
  shots: number
  createdAt: string
  status: string
  simulated: boolean
  subjects: number
  questions: number
  micro: Figure
  macro: Figure
  /** Micro accuracy above chance: 0 = chance (1/options), 1 = perfect (Open LLM Leaderboard v2); below chance is negative. */
  aboveChance: number
  categories: (Figure & { category: string; questions: number })[]
  questionsPerSecond: number
  latencyP50: number
  latencyP95: number
  /** Σ prompt tokens of the fresh answers ÷ the run's wall time; absent when no token counts were recorded. */
  promptTokensPerSecond?: number
  /** The embedded engine's worker peak RSS (results files from issue 24 on); absent for servers and older files. */
  peakRssBytes?: number
  /** Expected calibration error (normalised confidences), log-prob runs. */
  ece?: number
  /** Rotated runs: share of questions right under every rotation. */
  circular?: number
  /** 1-based, by micro accuracy within the table. */
  rank: number
  /** Absent for the best itself. */
  versusBest?: VersusBest
  /** Both more accurate and faster than every run it is compared with: no run of the table is at least as good on both and better on one. */
  pareto: boolean
}

export interface LeaderboardTable {
  rows: LeaderboardRow[]
  /** Why these runs are not ranked with the first table's; empty for the first. */
  differences: string[]
}

export interface Leaderboard {
  tables: LeaderboardTable[]
  alpha: number
}

/** What the p-values test, in words, for every output. */
export const P_VALUE_MEANING =
  'p: exact two-sided McNemar test of the run against the best of its table on the questions both asked (H0: when exactly one of the two is right, each is equally likely to be the one), Holm-adjusted over the table’s runs'

const QUANT = /(?:^|[^A-Za-z0-9])((?:I?Q\d(?:_[A-Z0-9]+)*)|BF16|F16|F32)(?=[^A-Za-z0-9]|$)/i

function quantizationOf(results: ResultsFile): string | undefined {
  const told = results.provenance[0]?.details.quantization
  if (told !== undefined && told !== '') return String(told)
  if (results.provenance[0]?.server !== undefined) return undefined
  return QUANT.exec(results.config.model.replace(/^.*[\\/]/, ''))?.[1]?.toUpperCase()
}

function chanceOf(results: ResultsFile): number {
  const answered = results.records.filter((r) => r.outcome === 'correct' || r.outcome === 'wrong' || r.outcome === 'invalid')
  if (answered.length === 0) return 0.25
  return answered.reduce((s, r) => s + 1 / (r.options ?? 4), 0) / answered.length
}

function rowOf(run: LeaderboardRun, index: number): Omit<LeaderboardRow, 'rank' | 'pareto'> {
  const { results } = run
  const { config, summary } = results
  const analysis = analysisOf(results)
  const timed = results.records.filter((r) => r.outcome !== 'error' && r.outcome !== 'not-asked' && !r.cached)
  const promptTokens = timed.reduce((s, r) => s + (r.promptTokens || 0), 0)
  const quantization = quantizationOf(results)
  const server = results.provenance[0]?.server
  const ece = analysis.calibration?.normalised.ece
  const chance = chanceOf(results)
  return {
    run: index,
    label: run.label,
    file: run.file,
    model: config.model,
    ...(quantization ? { quantization } : {}),
    ...(run.sizeBytes !== undefined ? { sizeBytes: run.sizeBytes } : {}),
    engine: config.engine,
    ...(server ? { server } : {}),
    protocol: config.protocol?.name ?? config.scoring,
    scoring: config.scoring,
    shots: config.shots,
    createdAt: results.createdAt,
    status: results.status,
    simulated: config.simulated === true,
    subjects: summary.subjects,
    questions: summary.questions,
    micro: { accuracy: summary.microAccuracy, ci95: summary.microCi95 },
    macro: { accuracy: summary.macroAccuracy, ci95: summary.macroCi95 },
    aboveChance: (summary.microAccuracy - chance) / (1 - chance),
    categories: summary.categories.map((c) => ({ category: c.category, accuracy: c.accuracy, ci95: c.ci95, questions: c.total })),
    questionsPerSecond: summary.questionsPerSecond,
    latencyP50: summary.latencyMs.p50,
    latencyP95: summary.latencyMs.p95,
    ...(promptTokens > 0 && summary.wallMs > 0 ? { promptTokensPerSecond: promptTokens / (summary.wallMs / 1000) } : {}),
    ...(results.peakRssBytes !== undefined ? { peakRssBytes: results.peakRssBytes } : {}),
    ...(ece !== undefined && Number.isFinite(ece) ? { ece } : {}),
    ...(summary.rotation ? { circular: summary.rotation.circular } : {}),
  }
}

/** Why `b` cannot be ranked with `a`: the gate's refusal, and a different scoring; empty when it can. */
export function whyApart(a: LeaderboardRun, b: LeaderboardRun): string[] {
  const c = compareWithBaseline(a.results, b.results, a.file, { alpha: 0.05, differentShots: 'refuse' })
  const reasons = c.kind === 'refused' ? c.reasons.map((r) => r.replace(/\b(?:the )?baseline\b/g, a.label).replace(/\bthis run\b/g, b.label)) : []
  if (a.results.config.scoring !== b.results.config.scoring) reasons.push(`scored by ${b.results.config.scoring}, not ${a.results.config.scoring}`)
  return reasons
}

/** Whether the point (x, y) is beaten: some other point at least as good on both and better on one. */
function dominated(i: number, points: readonly { x: number; y: number }[]): boolean {
  const p = points[i]!
  return points.some((q, j) => j !== i && q.x >= p.x && q.y >= p.y && (q.x > p.x || q.y > p.y))
}

function rankTable(runs: readonly LeaderboardRun[], members: readonly number[], differences: string[], alpha: number): LeaderboardTable {
  const rows = members.map((i) => rowOf(runs[i]!, i))
  // Most accurate first; equal accuracies keep the order given.
  const order = rows.map((_, k) => k).sort((x, y) => (rows[y]!.micro.accuracy || 0) - (rows[x]!.micro.accuracy || 0) || x - y)
  const sorted = order.map((k) => rows[k]!)
  const best = runs[sorted[0]!.run]!
  const paired: (PairedComparison | undefined)[] = sorted.map((r, k) => {
    if (k === 0) return undefined
    const c = compareWithBaseline(best.results, runs[r.run]!.results, best.file, { alpha, differentShots: 'refuse' })
    return c.kind === 'compared' ? c.overall : undefined
  })
  const tested = paired.flatMap((p, k) => (p ? [k] : []))
  const adjusted = holmAdjust(tested.map((k) => paired[k]!.pValue))
  const points = sorted.map((r) => ({ x: r.questionsPerSecond, y: r.micro.accuracy }))
  const known = (k: number) => Number.isFinite(points[k]!.x) && Number.isFinite(points[k]!.y)
  const finite = points.map((p, k) => (known(k) ? p : { x: -Infinity, y: -Infinity }))
  return {
    differences,
    rows: sorted.map((r, k): LeaderboardRow => {
      const p = paired[k]
      const at = tested.indexOf(k)
      let versusBest: VersusBest | undefined
      if (p) {
        const [worse, better] = p.questions ? [p.questions.worse, p.questions.better] : [p.rightToWrong, p.wrongToRight]
        const adjustedP = adjusted[at] as number
        versusBest = { inCommon: p.n, bestCorrect: p.baselineCorrect, correct: p.currentCorrect, worse, better, pValue: p.pValue, adjustedP, tied: !(worse > better && adjustedP < alpha) }
      }
      return { ...r, rank: k + 1, ...(versusBest ? { versusBest } : {}), pareto: known(k) && !dominated(k, finite) }
    }),
  }
}

/**
 * The leaderboard of the runs given: tables of comparable runs, the most runs
 * first (ties: the table of the earlier run given), each ranked by micro
 * accuracy with its ties; every other table names how it differs from the first.
 */
export function leaderboard(runs: readonly LeaderboardRun[], alpha = 0.05): Leaderboard {
  const groups: number[][] = []
  runs.forEach((run, i) => {
    const home = groups.find((g) => g.every((m) => whyApart(runs[m]!, run).length === 0))
    if (home) home.push(i)
    else groups.push([i])
  })
  groups.sort((a, b) => b.length - a.length || a[0]! - b[0]!)
  const first = groups[0] ?? []
  return {
    tables: groups.map((g, k) => {
      // Named against the first table: its first run, else the first of its runs this one cannot join.
      const differences = k === 0 ? [] : (first.map((m) => whyApart(runs[m]!, runs[g[0]!]!)).find((r) => r.length) ?? [])
      return rankTable(runs, g, differences, alpha)
    }),
    alpha,
  }
}
