// Runs compared side by side (`npm run compare`): the first run is the
// reference, each other run is paired with it question by question.
// The pairing, the exact McNemar tests and their Holm adjustment across
// subjects are the baseline gate's (src/analysis/paired.ts), so a comparison
// and a gate verdict on the same two runs agree; runs the gate refuses
// (different prompts or data) are refused here with the same reasons, except
// that different shots are compared, with a warning.
// Added here: categories (McNemar on the pooled discordant pairs of their
// subjects, Holm-adjusted across the categories), agreement (the same letter
// given), and each run's calibration and letter bias.
import type { FlippedQuestion, PairedComparison } from './paired.js'
import { compareWithBaseline, holmAdjust } from './paired.js'
import { recordKey } from '../base/record.js'
import type { ResultsFile } from '../run/results.js'
import type { Interval } from '../base/stats.js'
import { mcnemarExact, wilson } from '../base/stats.js'
import type { RunAnalysis } from './run.js'
import { analysisOf } from './run.js'
import { isSimulatedRun, simulatedMismatch } from '../base/simulated.js'

export interface ComparedRun {
  /** How the run is named in every table: its model, made unique. */
  label: string
  /** Where it was read from. */
  file: string
  results: ResultsFile
}

export interface Accuracy {
  correct: number
  accuracy: number
  ci95: Interval
}

/** One subject, category or the whole, for one run against the reference, on the questions both asked. */
export interface PairedRow {
  name: string
  /** Questions asked in both runs. */
  n: number
  reference: Accuracy
  other: Accuracy
  /** other − reference, in accuracy (a fraction). */
  difference: number
  /** Right in the reference, not right in the other run; and the reverse. */
  rightToWrong: number
  wrongToRight: number
  /** Exact two-sided McNemar p; Holm-adjusted across subjects (or categories); the same for the whole. */
  pValue: number
  adjustedP: number
  /** Questions where both runs gave the same letter. */
  agreed: number
  agreement: number
}

export interface Flip extends FlippedQuestion {
  direction: 'right→wrong' | 'wrong→right'
}

export type RunVsReference =
  | {
      kind: 'compared'
      /** Index into `runs`. */
      run: number
      warnings: string[]
      subjects: PairedRow[]
      categories: PairedRow[]
      overall: PairedRow
      /** Every flip, right→wrong first, by subject then index. */
      flips: Flip[]
      onlyReference: number
      onlyOther: number
    }
  | { kind: 'refused'; run: number; reasons: string[] }

export interface RunComparison {
  runs: ComparedRun[]
  /** Each run's calibration and letter bias, in run order. */
  analyses: RunAnalysis[]
  /** runs[1…] against runs[0]. */
  pairs: RunVsReference[]
  alpha: number
}

// By question and variant: trials and rotations pair one to one, as in the gate.
const key = recordKey

function accuracy(correct: number, n: number): Accuracy {
  return { correct, accuracy: n ? correct / n : NaN, ci95: wilson(correct, n) }
}

function row(p: Omit<PairedComparison, 'verdict' | 'reasons'>, agreed: number): PairedRow {
  return {
    name: p.name,
    n: p.n,
    reference: accuracy(p.baselineCorrect, p.n),
    other: accuracy(p.currentCorrect, p.n),
    difference: p.n ? (p.currentCorrect - p.baselineCorrect) / p.n : NaN,
    rightToWrong: p.rightToWrong,
    wrongToRight: p.wrongToRight,
    pValue: p.pValue,
    adjustedP: p.adjustedP,
    agreed,
    agreement: p.n ? agreed / p.n : NaN,
  }
}

/** Settings that differ and change what the numbers mean, beyond the inputs the gate checks. */
function protocolWarnings(reference: ResultsFile, other: ResultsFile, label: string): string[] {
  const a = reference.config
  const b = other.config
  const out: string[] = []
  if (a.scoring !== b.scoring) out.push(`${label} was scored by ${b.scoring}, the reference by ${a.scoring}: the same model can score differently under the two`)
  return out
}

/**
 * A rotated run seen as an unrotated one: its rotation-0 asks (the options in
 * the file's order) with the prompt hash they have. Used only when the other
 * run is not rotated, so the two can be compared on the prompts both asked.
 */
function unrotated(results: ResultsFile): ResultsFile {
  const inputs = Object.fromEntries(
    Object.entries(results.config.inputs ?? {}).map(([s, { rotate: _rotate, unrotatedPromptHash, ...i }]) => [s, { ...i, promptHash: unrotatedPromptHash ?? i.promptHash }]),
  )
  const records = results.records.filter((r) => (r.rotation ?? 0) === 0).map(({ rotation: _rotation, ...r }) => r)
  return { ...results, config: { ...results.config, inputs }, records }
}

const rotates = (r: ResultsFile) => Object.values(r.config.inputs ?? {}).some((i) => i.rotate)

function compareOne(reference: ComparedRun, other: ComparedRun, run: number, alpha: number): RunVsReference {
  const simulated = simulatedMismatch(reference.results, other.results, { reference: reference.label, other: other.label })
  if (simulated) return { kind: 'refused', run, reasons: [simulated] }
  // Rotated against unrotated: the gate never pairs them; a comparison pairs the rotated run's unrotated asks, and says so.
  const rotation: string[] = []
  let [a, b] = [reference.results, other.results]
  if (rotates(a) !== rotates(b)) {
    const spun = rotates(a) ? reference : other
    rotation.push(`${spun.label} rotates the options (MMLU_ROTATE=on): only its unrotated asks (rotation 0, the options in the file's order) are compared; its other rotations are not`)
    if (rotates(a)) a = unrotated(a)
    else b = unrotated(b)
  }
  const c = compareWithBaseline(a, b, reference.file, { alpha, differentShots: 'warn' })
  if (c.kind === 'refused') return { kind: 'refused', run, reasons: c.reasons }
  const before = new Map(a.records.map((r) => [key(r), r]))
  const agreedBySubject = new Map<string, number>()
  for (const r of b.records) {
    const b = before.get(key(r))
    if (b && r.given !== null && b.given === r.given) agreedBySubject.set(r.subject, (agreedBySubject.get(r.subject) ?? 0) + 1)
  }
  const subjects = c.subjects.map((p) => row(p, agreedBySubject.get(p.name) ?? 0))
  const overall = row(c.overall, [...agreedBySubject.values()].reduce((s, n) => s + n, 0))

  // Categories: pooled over their subjects, as the summaries pool them.
  const categoryOf = new Map(other.results.subjects.map((s) => [s.subject, s.category as string]))
  const byCategory = new Map<string, PairedComparison[]>()
  for (const p of c.subjects) {
    const cat = categoryOf.get(p.name) ?? 'unknown'
    byCategory.set(cat, [...(byCategory.get(cat) ?? []), p])
  }
  const pooled = [...byCategory].map(([name, ps]) => {
    const sum = (f: (p: PairedComparison) => number) => ps.reduce((s, p) => s + f(p), 0)
    const b = sum((p) => p.rightToWrong)
    const w = sum((p) => p.wrongToRight)
    const n = sum((p) => p.n)
    return {
      name,
      n,
      baselineCorrect: sum((p) => p.baselineCorrect),
      currentCorrect: sum((p) => p.currentCorrect),
      rightToWrong: b,
      wrongToRight: w,
      drop: n ? (b - w) / n : 0,
      // With trials or rotations the test is over questions, as the gate's (a question's asks are not independent).
      pValue: ps.every((p) => p.questions) ? mcnemarExact(sum((p) => p.questions!.worse), sum((p) => p.questions!.better)) : mcnemarExact(b, w),
      agreed: ps.reduce((s, p) => s + (agreedBySubject.get(p.name) ?? 0), 0),
    }
  })
  const adjusted = holmAdjust(pooled.map((p) => p.pValue))
  const categories = pooled.map((p, i) => row({ ...p, adjustedP: adjusted[i] as number }, p.agreed))

  const warnings = [
    ...rotation,
    ...(c.warnings ?? []).map((w) => `${w}: compared anyway; the few-shot prompts differ, and their template is not checked across different shots`),
    ...protocolWarnings(reference.results, other.results, other.label),
  ]
  if (c.onlyBaseline || c.onlyCurrent) warnings.push(`not paired: ${c.onlyBaseline} questions only in ${reference.label}, ${c.onlyCurrent} only in ${other.label}`)
  const flips: Flip[] = [
    ...c.rightToWrong.map((f) => ({ ...f, direction: 'right→wrong' as const })),
    ...c.wrongToRight.map((f) => ({ ...f, direction: 'wrong→right' as const })),
  ]
  return { kind: 'compared', run, warnings, subjects, categories, overall, flips, onlyReference: c.onlyBaseline, onlyOther: c.onlyCurrent }
}

/** What may tell two runs of one model apart, in the order a label names them; '' where a run has nothing to say. */
const LABEL_FACETS: ((r: ResultsFile) => string)[] = [
  (r) => `${r.config.shots}-shot`,
  (r) => r.config.scoring,
  (r) => String(r.provenance[0]?.details.quantization ?? ''),
  (r) => r.config.engine,
  (r) => r.provenance[0]?.server ?? '',
  (r) => (r.config.limit ? `first ${r.config.limit}` : ''),
  (r) => (isSimulatedRun(r) ? 'SIMULATED' : ''),
]

/**
 * Labels that tell the runs apart: the model; when runs share one, what differs between them
 * (`5-shot` vs `0-shot`, the quantization, the server…), and their dates only when nothing does.
 */
export function runLabels(runs: readonly Pick<ComparedRun, 'results'>[]): string[] {
  const models = runs.map((r) => r.results.config.model)
  const labels = runs.map((r, i) => {
    const model = models[i] as string
    const same = runs.filter((_, j) => models[j] === model).map((o) => o.results)
    if (same.length < 2) return model
    const facets = LABEL_FACETS.filter((f) => new Set(same.map(f)).size > 1)
      .map((f) => f(r.results))
      .filter(Boolean)
    const differs = facets.length ? facets.join(', ') : r.results.createdAt.slice(0, 19).replace('T', ' ')
    return `${model} (${differs})`
  })
  return labels.map((l, i) => (labels.filter((x) => x === l).length > 1 ? `${l} #${i + 1}` : l))
}

export function compareRuns(runs: readonly ComparedRun[], alpha = 0.05): RunComparison {
  if (runs.length < 2) throw new RangeError('compareRuns needs at least two runs')
  const [reference, ...others] = runs as [ComparedRun, ...ComparedRun[]]
  return {
    runs: [...runs],
    analyses: runs.map((r) => analysisOf(r.results)),
    pairs: others.map((o, i) => compareOne(reference, o, i + 1, alpha)),
    alpha,
  }
}
