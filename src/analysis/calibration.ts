// Calibration of log-prob answers: does the probability a model gives its
// chosen letter match how often that letter is right?
//
// Confidence is the chosen letter's probability, read two ways:
// - normalised: divided by the sum over the question's letters, so the
//   letters' probabilities sum to 1 (what lm-eval's comparison implies);
// - raw: the next-token probability as the engine returned it; lower when the
//   model puts mass on other tokens (" The", a newline), which says how much
//   the model "wanted" to answer with a letter at all.
// Expected calibration error (Guo et al. 2017): 10 equal-width bins of
// confidence, [0, 0.1), …, [0.9, 1]; ECE = Σ_bins (n_b / N) · |accuracy_b −
// mean confidence_b|. ECE is biased upward on small sets (a perfectly
// calibrated model shows about 9% at 100 answers), so beside it stands what a
// perfectly calibrated model with the same confidences would show: each
// answer drawn right with probability = its confidence, seeded, the ECE's
// mean and 95th percentile over the draws. Brier score (Brier 1950, the
// multi-class form): the mean over questions of Σ_letters (p_letter −
// 1[letter is the key])², from 0 (certain and right) to 2 (certain and
// wrong); normalised only, since on raw probabilities, which need not sum to
// 1, it is not a proper score (results files before issue 21 hold a raw one).
// Only answers with a letter and probabilities count: invalid answers chose
// nothing, and generate runs have no probabilities (no calibration at all).
import type { QuestionRecord } from '../base/record.js'
import { seededRandom } from '../base/random.js'
import { percentile } from '../base/stats.js'
import { lettersUsed } from './letters.js'

export const CALIBRATION_BINS = 10
/** Draws of a perfectly calibrated model, for the ECE it would show with the same confidences. */
export const CALIBRATED_DRAWS = 400
const CALIBRATED_SEED = 21

export interface ReliabilityBin {
  /** Confidence range [from, to); the last bin includes 1. */
  from: number
  to: number
  count: number
  /** Mean confidence and accuracy of the answers in the bin; NaN when empty. */
  meanConfidence: number
  accuracy: number
}

export interface CalibrationFigures {
  /** Expected calibration error, 0-1. */
  ece: number
  /** Multi-class Brier score, 0-2: normalised probabilities only (a proper score there; not on raw ones). */
  brier?: number
  meanConfidence: number
  /** Share of these answers that were right (answers with probabilities only). */
  accuracy: number
  bins: ReliabilityBin[]
}

export interface Calibration {
  /** Answers with a letter and probabilities: what the figures are over. */
  answers: number
  /** Answers left out: invalid ones (no letter chosen), and ones without probabilities (generated). */
  invalid: number
  withoutProbabilities: number
  normalised: CalibrationFigures
  raw: CalibrationFigures
  /** The ECE (normalised confidences) a perfectly calibrated model would show on these answers: mean and 95th percentile over CALIBRATED_DRAWS seeded draws. Absent in files from before issue 21. */
  calibratedEce?: CalibratedEce
}

export interface SubjectCalibration extends Calibration {
  subject: string
}

interface Scored {
  confidence: number
  right: boolean
  /** The letters' probabilities, in the letter order, and the key's position. */
  probabilities: number[]
  key: number
}

export interface CalibratedEce {
  mean: number
  p95: number
  draws: number
}

/** What a perfectly calibrated model with these confidences would show as ECE: right with probability = confidence, seeded. */
export function calibratedEce(confidences: readonly number[], draws = CALIBRATED_DRAWS): CalibratedEce {
  return calibratedEces([confidences], draws).all
}

/**
 * The same, over the whole set and over each of its groups (a run and its subjects), from one
 * set of draws: each draw decides every answer once, and the whole set's ECE and each group's
 * are read from it. Each figure is still its own seeded Monte Carlo over draws of its answers;
 * drawing each group apart again would double the work (0.15 s of a 14,042-answer report).
 */
export function calibratedEces(groups: readonly (readonly number[])[], draws = CALIBRATED_DRAWS): { all: CalibratedEce; groups: CalibratedEce[] } {
  const B = CALIBRATION_BINS
  const n = groups.reduce((s, g) => s + g.length, 0)
  const none = { mean: NaN, p95: NaN, draws }
  if (n === 0) return { all: none, groups: groups.map(() => none) }
  // Bins and their confidence sums once; a draw only counts the answers it makes right per
  // (group, bin) cell (|Σ_(i in b) (right_i − c_i)| = |right_b − Σ_(i in b) c_i|), one random
  // number per answer, in order.
  const c = new Float64Array(n)
  const cell = new Uint32Array(n)
  const sumC = new Float64Array(groups.length * B)
  let i = 0
  groups.forEach((g, k) => {
    for (const x of g) {
      const b = Math.min(B - 1, Math.floor(x * B))
      c[i] = x
      cell[i] = k * B + b
      sumC[k * B + b]! += x
      i++
    }
  })
  const sumAll = new Float64Array(B)
  for (let j = 0; j < sumC.length; j++) sumAll[j % B]! += sumC[j]!
  const random = seededRandom(CALIBRATED_SEED)
  const rights = new Float64Array(groups.length * B)
  const rightAll = new Float64Array(B)
  const all: number[] = []
  const each: number[][] = groups.map(() => [])
  for (let d = 0; d < draws; d++) {
    rights.fill(0)
    for (let j = 0; j < n; j++) if (random() < c[j]!) rights[cell[j]!]!++
    rightAll.fill(0)
    groups.forEach((g, k) => {
      let sum = 0
      for (let b = 0; b < B; b++) {
        const r = rights[k * B + b]!
        rightAll[b]! += r
        sum += Math.abs(r - sumC[k * B + b]!)
      }
      if (g.length) each[k]!.push(sum / g.length)
    })
    let sum = 0
    for (let b = 0; b < B; b++) sum += Math.abs(rightAll[b]! - sumAll[b]!)
    all.push(sum / n)
  }
  const summary = (xs: number[]): CalibratedEce => (xs.length ? { mean: xs.reduce((s, x) => s + x, 0) / xs.length, p95: percentile(xs, 95), draws } : none)
  return { all: summary(all), groups: each.map(summary) }
}

function figures(items: readonly Scored[], withBrier: boolean): CalibrationFigures {
  const bins: ReliabilityBin[] = Array.from({ length: CALIBRATION_BINS }, (_, i) => ({ from: i / CALIBRATION_BINS, to: (i + 1) / CALIBRATION_BINS, count: 0, meanConfidence: 0, accuracy: 0 }))
  let confidence = 0
  let right = 0
  let brier = 0
  for (const it of items) {
    const bin = bins[Math.min(CALIBRATION_BINS - 1, Math.floor(it.confidence * CALIBRATION_BINS))] as ReliabilityBin
    bin.count++
    bin.meanConfidence += it.confidence
    bin.accuracy += it.right ? 1 : 0
    confidence += it.confidence
    right += it.right ? 1 : 0
    brier += it.probabilities.reduce((s, p, i) => s + (p - (i === it.key ? 1 : 0)) ** 2, 0)
  }
  const n = items.length
  let ece = 0
  for (const b of bins) {
    if (b.count === 0) {
      b.meanConfidence = NaN
      b.accuracy = NaN
      continue
    }
    b.meanConfidence /= b.count
    b.accuracy /= b.count
    ece += (b.count / n) * Math.abs(b.accuracy - b.meanConfidence)
  }
  const b = withBrier ? { brier: n === 0 ? NaN : brier / n } : {}
  return n === 0 ? { ece: NaN, ...b, meanConfidence: NaN, accuracy: NaN, bins } : { ece, ...b, meanConfidence: confidence / n, accuracy: right / n, bins }
}

/** The answers calibration is over, read two ways, and what was left out. */
interface ScoredSet {
  normalised: Scored[]
  raw: Scored[]
  invalid: number
  withoutProbabilities: number
  /** Whether any record had probabilities: without, there is no calibration at all. */
  anyProbabilities: boolean
}

function scored(records: readonly QuestionRecord[], letters: readonly string[]): ScoredSet {
  const normalised: Scored[] = []
  const raw: Scored[] = []
  let invalid = 0
  let withoutProbabilities = 0
  let anyProbabilities = false
  for (const r of records) {
    if (r.probabilities) anyProbabilities = true
    if (r.outcome === 'invalid') invalid++
    if (r.outcome !== 'correct' && r.outcome !== 'wrong') continue
    const probs = r.probabilities as Record<string, number> | undefined
    if (!probs || r.given === null) {
      withoutProbabilities++
      continue
    }
    const p = letters.map((l) => probs[l] ?? 0)
    const sum = p.reduce((s, x) => s + x, 0)
    const chosen = letters.indexOf(r.given)
    const key = letters.indexOf(r.expected)
    const right = r.outcome === 'correct'
    raw.push({ confidence: p[chosen] as number, right, probabilities: p, key })
    normalised.push({ confidence: (p[chosen] as number) / sum, right, probabilities: p.map((x) => x / sum), key })
  }
  return { normalised, raw, invalid, withoutProbabilities, anyProbabilities }
}

const confidencesOf = (s: ScoredSet): number[] => s.normalised.map((x) => x.confidence)

function calibration(s: ScoredSet, floor: CalibratedEce): Calibration {
  return { answers: s.normalised.length, invalid: s.invalid, withoutProbabilities: s.withoutProbabilities, normalised: figures(s.normalised, true), raw: figures(s.raw, false), calibratedEce: floor }
}

/** Calibration over the records (any mix of subjects); undefined when none has probabilities. */
export function calibrate(records: readonly QuestionRecord[], letters: readonly string[] = lettersUsed(records)): Calibration | undefined {
  const s = scored(records, letters)
  return s.anyProbabilities ? calibration(s, calibratedEce(confidencesOf(s))) : undefined
}

/** Calibration over the whole run and per subject (in the order the subjects first appear), the calibrated-model figures from the same draws. */
export function calibrateRun(records: readonly QuestionRecord[], letters: readonly string[] = lettersUsed(records)): (Calibration & { subjects: SubjectCalibration[] }) | undefined {
  const bySubject = new Map<string, QuestionRecord[]>()
  for (const r of records) {
    const list = bySubject.get(r.subject)
    if (list) list.push(r)
    else bySubject.set(r.subject, [r])
  }
  // Each answer scored once: the run's set is its subjects' sets together.
  const sets = [...bySubject].map(([subject, rs]) => ({ subject, s: scored(rs, letters) }))
  const whole: ScoredSet = {
    normalised: sets.flatMap(({ s }) => s.normalised),
    raw: sets.flatMap(({ s }) => s.raw),
    invalid: sets.reduce((n, { s }) => n + s.invalid, 0),
    withoutProbabilities: sets.reduce((n, { s }) => n + s.withoutProbabilities, 0),
    anyProbabilities: sets.some(({ s }) => s.anyProbabilities),
  }
  if (!whole.anyProbabilities) return undefined
  const subjects = sets.filter(({ s }) => s.anyProbabilities)
  const floors = calibratedEces(subjects.map(({ s }) => confidencesOf(s)))
  return { ...calibration(whole, floors.all), subjects: subjects.map(({ subject, s }, k) => ({ subject, ...calibration(s, floors.groups[k]!) })) }
}

/** Per subject, in the order the subjects first appear. */
export function calibrateSubjects(records: readonly QuestionRecord[], letters: readonly string[] = lettersUsed(records)): SubjectCalibration[] {
  return calibrateRun(records, letters)?.subjects ?? []
}
