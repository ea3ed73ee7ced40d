// Answer-letter bias: does the model prefer some letters whatever the
// question? Small models often do; that inflates or deflates accuracy with
// the key distribution of the split (MMLU's test split: about 23% A, 25% B,
// 25.5% C, 27% D).
//
// Shares and the confusion matrix are over the answers with a letter; invalid
// answers (no letter) are counted apart. The test asks the one question that
// does not depend on accuracy: a model with no letter preference spreads its
// *wrong* answers evenly over the wrong options, so each wrong answer to a
// k-option question adds 1/(k − 1) to the expected count of each letter that
// is not its key. Right answers say nothing about preference. (Comparing the
// letters given with the keys' shares, as this did before, flags a uniform
// guesser on any subject whose keys are uneven: issue 21.)
// The statistic is Pearson's X² of the wrong answers' letters against that
// expectation, summed over the option counts (a stratified statistic: a
// 4-option and a 5-option question are never pooled into one table). Its
// p-value is a seeded Monte Carlo one: wrong answers are redrawn uniformly
// over their wrong options. No χ² approximation, so small counts are fine.
// MMLU_ROTATE=on measures preference directly, by moving the key.
import type { QuestionRecord } from '../base/record.js'
import { binomial, seededRandom } from '../base/random.js'
import { answered, lettersUsed } from './letters.js'

/** A bias is called strong when a letter takes this much more of the wrong answers than no preference would give it (share points)… */
export const STRONG_BIAS_EXCESS = 0.1
/** …and the no-preference test rejects at this level. */
export const STRONG_BIAS_P = 0.001
/** Monte Carlo draws at most; p is never below 1/(draws + 1), reported as `p < 1/draws`. */
export const PREFERENCE_DRAWS = 10_000
/**
 * Stop once this many draws were as extreme as the run (Besag & Clifford
 * 1991): p is then h / draws ≥ 20 / 10,000 = 0.002, clearly above
 * STRONG_BIAS_P, so the early stop never changes a verdict at that level.
 */
const STOP_AFTER_EXTREME = 20
/**
 * Up to this many wrong answers each is redrawn on its own; past it, by binomials per
 * (stratum, key): the same distribution, in a cost that grows with log n, not n. Measured
 * for 10,000 draws with no early stop (`npx tsx`, one call each): 500 wrong answers 0.35 s
 * one by one against 0.22 s by binomials, 1,000: 0.68 against 0.22 s, 10,500 (a full MMLU
 * run): 5.7 against 0.33 s; below about 300 one by one is faster. Not lower than 1,000:
 * a subject alone keeps the p-value earlier versions gave it (only professional_law has
 * more wrong answers), where the binomials would save a tenth of a second at most.
 */
export const DRAW_EACH_ANSWER_UP_TO = 1_000
/** Fixed: the same records always give the same p. */
const PREFERENCE_SEED = 21

/** Exact when the outcomes to enumerate stay under this (count vectors per option count, then X² values combined); Monte Carlo above it (4 options: up to 28 wrong answers). */
const EXACT_LIMIT = 5_000

/** C(n + k − 1, k − 1): the count vectors n answers can make over k letters, or Infinity past EXACT_LIMIT. */
function countVectors(n: number, k: number): number {
  let c = 1
  for (let i = 1; i < k; i++) {
    c = (c * (n + i)) / i
    if (c > EXACT_LIMIT) return Infinity
  }
  return c
}

export interface PreferenceTest {
  /** `exact`: every outcome enumerated (small runs); `monte carlo`: seeded draws. */
  test: 'exact' | 'monte carlo'
  /** Pearson's X² of the wrong answers' letters against no preference, summed over the option counts. */
  statistic: number
  /** The option counts tested apart (strata), each with its wrong answers. */
  strata: { options: number; wrong: number }[]
  /** Draws made, and how many gave an X² at least the run's (0 and 0 for an exact test). */
  draws: number
  extreme: number
  /** (extreme + 1) / (draws + 1), or extreme / draws after an early stop. */
  p: number
  /** No draw was as extreme: p < 1 / draws. */
  atFloor: boolean
}

export interface ConfusionRow {
  /** The key. */
  expected: string
  /** Answers per letter given (same order as `letters`). */
  given: number[]
  invalid: number
}

export interface LetterBias {
  letters: string[]
  /** Answered questions (a letter or an invalid reply); errors and questions not asked are outside. */
  answers: number
  /** Of which with a letter: the shares and the test are over these. */
  withLetter: number
  invalid: number
  /** Per letter (order of `letters`): how often it is the key, and how often the model gave it, among the answers with a letter. */
  keyCounts: number[]
  givenCounts: number[]
  keyShares: number[]
  givenShares: number[]
  /** Rows: expected letter; columns: letter given, then invalid. Over every answered question. */
  confusion: ConfusionRow[]
  /** Wrong answers with a letter, one ask per question (the first trial, as written): what the test is over. */
  wrong: number
  /** Per letter: wrong answers that gave it, and how many a model with no preference would give it (Σ 1/(k − 1) over the wrong answers whose key it is not). */
  wrongCounts: number[]
  wrongExpected: number[]
  test: PreferenceTest
  /** The letter with the largest excess of wrong answers over no preference, as shares of the wrong answers. */
  strongest: { letter: string; wrongShare: number; expectedShare: number }
  /** excess ≥ STRONG_BIAS_EXCESS and p < STRONG_BIAS_P */
  strong: boolean
}

interface Stratum {
  options: number
  /** Wrong answers per key (letter index). */
  byKey: number[]
  /** Wrong answers per letter given. */
  given: number[]
  wrong: number
}

/**
 * X²'s exact distribution under no preference, or undefined when too many
 * outcomes: per option count, the distribution of the count vector, built one
 * wrong answer at a time; then each stratum's X² values convolved.
 */
function exactDistribution(strata: readonly Stratum[], x2OfStratum: (i: number, counts: readonly number[]) => number): Map<number, number> | undefined {
  if (strata.some((s) => countVectors(s.wrong, s.options) === Infinity)) return undefined
  let total = new Map<number, number>([[0, 1]])
  for (const [i, s] of strata.entries()) {
    const k = s.options
    const radix = s.wrong + 1
    let states = new Map<number, number>([[0, 1]])
    const place = Array.from({ length: k }, (_, l) => radix ** l)
    for (let key = 0; key < k; key++) {
      for (let j = 0; j < (s.byKey[key] as number); j++) {
        const next = new Map<number, number>()
        for (const [code, prob] of states) {
          for (let l = 0; l < k; l++) {
            if (l === key) continue
            const c = code + (place[l] as number)
            next.set(c, (next.get(c) ?? 0) + prob / (k - 1))
          }
        }
        states = next
      }
    }
    const values = new Map<number, number>()
    for (const [code, prob] of states) {
      const counts = place.map((_, l) => Math.floor(code / (place[l] as number)) % radix)
      // Rounded so that equal X² from different float sums fall together.
      const v = Math.round(x2OfStratum(i, counts) * 1e9) / 1e9
      values.set(v, (values.get(v) ?? 0) + prob)
    }
    if (total.size * values.size > EXACT_LIMIT) return undefined
    const combined = new Map<number, number>()
    for (const [a, pa] of total) for (const [b, pb] of values) combined.set(Math.round((a + b) * 1e9) / 1e9, (combined.get(Math.round((a + b) * 1e9) / 1e9) ?? 0) + pa * pb)
    total = combined
  }
  return total
}

/** The no-preference test: exact for small runs, else wrong answers redrawn uniformly over their wrong options, seeded. */
export function preferenceTest(strata: readonly Stratum[]): PreferenceTest {
  const summary = strata.map((s) => ({ options: s.options, wrong: s.wrong }))
  // Flat cells (stratum, letter) with their expected counts; the draws only touch typed arrays.
  const offsets: number[] = []
  let cells = 0
  for (const s of strata) {
    offsets.push(cells)
    cells += s.options
  }
  const expected = new Float64Array(cells)
  const observed = new Float64Array(cells)
  const keys: number[] = []
  const others: number[] = []
  const base: number[] = []
  strata.forEach((s, i) => {
    const o = offsets[i] as number
    for (let l = 0; l < s.options; l++) {
      expected[o + l] = (s.wrong - (s.byKey[l] as number)) / (s.options - 1)
      observed[o + l] = s.given[l] as number
    }
    s.byKey.forEach((n, key) => {
      for (let j = 0; j < n; j++) {
        keys.push(key)
        others.push(s.options - 1)
        base.push(o)
      }
    })
  })
  const x2 = (counts: Float64Array) => {
    let sum = 0
    for (let c = 0; c < cells; c++) {
      const e = expected[c] as number
      if (e > 0) sum += ((counts[c] as number) - e) ** 2 / e
    }
    return sum
  }
  const statistic = x2(observed)
  if (keys.length === 0) return { test: 'exact', statistic: 0, strata: summary, draws: 0, extreme: 0, p: 1, atFloor: false }
  const exact = exactDistribution(strata, (i, counts) => {
    let sum = 0
    counts.forEach((o, l) => {
      const e = expected[(offsets[i] as number) + l] as number
      if (e > 0) sum += (o - e) ** 2 / e
    })
    return sum
  })
  if (exact) {
    const observedX2 = Math.round(statistic * 1e9) / 1e9
    let p = 0
    for (const [v, prob] of exact) if (v >= observedX2 - 1e-9) p += prob
    return { test: 'exact', statistic, strata: summary, draws: 0, extreme: 0, p: Math.min(1, p), atFloor: false }
  }
  const key = Int32Array.from(keys)
  const other = Int32Array.from(others)
  const at = Int32Array.from(base)
  const random = seededRandom(PREFERENCE_SEED)
  const drawn = new Float64Array(cells)
  // A float sum can differ in its last bits from the run's for the same counts.
  const threshold = statistic * (1 - 1e-12) - 1e-12
  let extreme = 0
  let draws = 0
  // Past this many wrong answers a draw is a multinomial per (stratum, key), from binomials:
  // the same distribution in O(options²) per draw instead of a random number per answer.
  const byGroups = key.length > DRAW_EACH_ANSWER_UP_TO
  while (draws < PREFERENCE_DRAWS) {
    draws++
    drawn.fill(0)
    if (byGroups) {
      strata.forEach((s, i) => {
        const o = offsets[i] as number
        s.byKey.forEach((n, k) => {
          let left = n
          let lettersLeft = s.options - 1
          for (let l = 0; l < s.options && left > 0; l++) {
            if (l === k) continue
            const c = lettersLeft === 1 ? left : binomial(left, 1 / lettersLeft, random)
            drawn[o + l]! += c
            left -= c
            lettersLeft--
          }
        })
      })
    } else {
      for (let j = 0; j < key.length; j++) {
        const k = key[j] as number
        const r = Math.floor(random() * (other[j] as number))
        drawn[(at[j] as number) + (r >= k ? r + 1 : r)]!++
      }
    }
    if (x2(drawn) >= threshold) extreme++
    if (extreme >= STOP_AFTER_EXTREME) return { test: 'monte carlo', statistic, strata: summary, draws, extreme, p: extreme / draws, atFloor: false }
  }
  return { test: 'monte carlo', statistic, strata: summary, draws, extreme, p: (extreme + 1) / (draws + 1), atFloor: extreme === 0 }
}

export function letterBias(records: readonly QuestionRecord[], letters: readonly string[] = lettersUsed(records)): LetterBias | undefined {
  const asked = answered(records)
  if (asked.length === 0 || letters.length === 0) return undefined
  const k = letters.length
  const index = new Map(letters.map((l, i) => [l, i]))
  const confusion: ConfusionRow[] = letters.map((expected) => ({ expected, given: new Array<number>(k).fill(0), invalid: 0 }))
  const keyCounts = new Array<number>(k).fill(0)
  const givenCounts = new Array<number>(k).fill(0)
  const strata = new Map<number, Stratum>()
  let invalid = 0
  for (const r of asked) {
    const key = index.get(r.expected) as number
    const row = confusion[key] as ConfusionRow
    const given = r.given === null ? undefined : index.get(r.given)
    if (given === undefined) {
      invalid++
      row.invalid++
      continue
    }
    row.given[given]!++
    givenCounts[given]!++
    keyCounts[key]!++
    // One ask per question: trials and rotations of a question are not independent draws.
    if (given === key || (r.trial ?? 1) !== 1 || (r.rotation ?? 0) !== 0) continue
    // MMLU records leave the option count out (4); a letter past it means the record undercounts.
    const options = Math.max(r.options ?? 4, key + 1, given + 1)
    let s = strata.get(options)
    if (!s) strata.set(options, (s = { options, byKey: new Array<number>(options).fill(0), given: new Array<number>(options).fill(0), wrong: 0 }))
    s.byKey[key]!++
    s.given[given]!++
    s.wrong++
  }
  const withLetter = asked.length - invalid
  const share = (c: number) => (withLetter ? c / withLetter : NaN)
  const ordered = [...strata.values()].sort((a, b) => a.options - b.options)
  const wrongCounts = new Array<number>(k).fill(0)
  const wrongExpected = new Array<number>(k).fill(0)
  let wrong = 0
  for (const s of ordered) {
    wrong += s.wrong
    for (let l = 0; l < s.options && l < k; l++) {
      wrongCounts[l]! += s.given[l] as number
      wrongExpected[l]! += (s.wrong - (s.byKey[l] as number)) / (s.options - 1)
    }
  }
  const excess = (l: number) => (wrong ? ((wrongCounts[l] as number) - (wrongExpected[l] as number)) / wrong : 0)
  let best = 0
  for (let l = 1; l < k; l++) if (excess(l) > excess(best)) best = l
  const test = preferenceTest(ordered)
  const strongest = { letter: letters[best] as string, wrongShare: wrong ? (wrongCounts[best] as number) / wrong : NaN, expectedShare: wrong ? (wrongExpected[best] as number) / wrong : NaN }
  return {
    letters: [...letters],
    answers: asked.length,
    withLetter,
    invalid,
    keyCounts,
    givenCounts,
    keyShares: keyCounts.map(share),
    givenShares: givenCounts.map(share),
    confusion,
    wrong,
    wrongCounts,
    wrongExpected,
    test,
    strongest,
    strong: wrong > 0 && excess(best) >= STRONG_BIAS_EXCESS && test.p < STRONG_BIAS_P,
  }
}

/** A stored analysis from before the no-preference test (issue 21) has no `wrongExpected`: its letter bias is recomputed. */
export function isCurrentLetterBias(b: LetterBias | undefined): boolean {
  return b === undefined || Array.isArray((b as Partial<LetterBias>).wrongExpected)
}
