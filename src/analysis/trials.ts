// Trials (MMLU_TRIALS): each question asked N times, each time with its own
// seed. Pure functions over records; the summaries, renderers and results
// JSON show what these compute.
// The unit is one question as asked (with its rotation, when options rotate):
// its N trials are compared with each other.
import type { QuestionRecord } from '../base/record.js'
import { questionKey } from '../base/record.js'
import { mean, sampleStd } from '../base/stats.js'
import { maxOf, minOf } from '../base/extent.js'

export interface TrialSpread {
  /** Trials asked (the largest trial number seen). */
  trials: number
  /** Questions (× rotations) with at least one asked trial. */
  questions: number
  /** Accuracy of each trial, trial 1 first (NaN for a trial with nothing asked). */
  accuracies: number[]
  /** Mean, smallest, largest and sample standard deviation of the trials' accuracies. */
  mean: number
  min: number
  max: number
  sd: number
  /**
   * Majority-vote accuracy: a question is right when its most frequent answer
   * across trials is the key; a tie between answers counts the key's share of
   * the tied answers (1/2 when two tie and one is right), the expectation of
   * breaking the tie at random. No letter votes as "no answer"; errors do not vote (not the model's answers).
   */
  majority: number
  /**
   * Agreement is over valid letters only: no letter (invalid, error) never
   * agrees with anything, and a question with fewer than two letters counts
   * as not agreeing (0), so text that never names a letter cannot look stable.
   * Mean, over questions, of the share of its letters that are its most frequent letter.
   */
  agreement: number
  /** Share of questions with at least two letters, all the same. */
  unanimous: number
  /** Share of the trials' asks that gave no letter (invalid or error): shown beside agreement. */
  noLetter: number
}

/** The model's answers: errors and questions not asked are outside every accuracy (summary.ts). */
const asked = (r: QuestionRecord) => r.outcome !== 'not-asked' && r.outcome !== 'error'
const NO_LETTER = '∅'
const answer = (r: QuestionRecord) => r.given ?? NO_LETTER

/** The spread across trials of the given records (one subject's, or a run's); undefined when they have no trials. */
export function trialSpread(records: readonly QuestionRecord[]): TrialSpread | undefined {
  const withTrials = records.filter((r) => r.trial !== undefined && asked(r))
  if (withTrials.length === 0) return undefined
  const trials = maxOf(withTrials.map((r) => r.trial!))
  const right = new Array<number>(trials).fill(0)
  const total = new Array<number>(trials).fill(0)
  const units = new Map<string, QuestionRecord[]>()
  for (const r of withTrials) {
    total[r.trial! - 1]!++
    if (r.outcome === 'correct') right[r.trial! - 1]!++
    const unit = `${questionKey(r)}/r${r.rotation ?? ''}`
    const list = units.get(unit)
    if (list) list.push(r)
    else units.set(unit, [r])
  }
  const accuracies = total.map((n, i) => (n ? right[i]! / n : NaN))
  const finite = accuracies.filter(Number.isFinite)
  let majority = 0
  let agreement = 0
  let unanimous = 0
  let noLetter = 0
  for (const rs of units.values()) {
    const votes = new Map<string, number>()
    for (const r of rs) votes.set(answer(r), (votes.get(answer(r)) ?? 0) + 1)
    const top = maxOf(votes.values())
    const leaders = [...votes].filter(([, n]) => n === top).map(([a]) => a)
    if (leaders.includes(rs[0]!.expected)) majority += 1 / leaders.length
    const letters = [...votes].filter(([a]) => a !== NO_LETTER)
    const valid = letters.reduce((n, [, k]) => n + k, 0)
    noLetter += rs.length - valid
    if (valid < 2) continue
    agreement += maxOf(letters.map(([, k]) => k)) / valid
    if (letters.length === 1) unanimous++
  }
  const n = units.size
  return {
    trials,
    questions: n,
    accuracies,
    mean: mean(finite),
    min: minOf(finite),
    max: maxOf(finite),
    sd: sampleStd(finite),
    majority: majority / n,
    agreement: agreement / n,
    unanimous: unanimous / n,
    noLetter: noLetter / withTrials.length,
  }
}
