// Answer-letter bias: does the model give some letters more often than they
// are the key? Small models often prefer one letter whatever the question;
// that inflates or deflates accuracy with the key distribution of the split
// (MMLU's test split: about 23% A, 25% B, 25.5% C, 27% D).
//
// Shares are over the answers with a letter; invalid answers (no letter) are
// counted apart and have their own column in the confusion matrix. The test
// asks whether the letters given follow the keys' distribution on the same
// questions: Pearson's chi-square goodness of fit (letters − 1 df), or the
// exact multinomial test when an expected count is below 5 (src/stats.ts).
// A perfect model passes it (it gives exactly the keys); so does one that
// guesses in proportion to the keys. One that prefers a letter does not.
import type { QuestionRecord } from '../record.js'
import type { GoodnessOfFit } from '../stats.js'
import { goodnessOfFit } from '../stats.js'
import { answered, lettersUsed } from './letters.js'

/** A bias is called strong when a letter is given this much more often than it is the key (share points)… */
export const STRONG_BIAS_EXCESS = 0.1
/** …and the goodness-of-fit test rejects "the letters follow the keys" at this level. */
export const STRONG_BIAS_P = 0.001

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
  test: GoodnessOfFit
  /** The letter given most in excess of its key share. */
  strongest: { letter: string; givenShare: number; keyShare: number }
  /** excess ≥ STRONG_BIAS_EXCESS and p < STRONG_BIAS_P */
  strong: boolean
}

export function letterBias(records: readonly QuestionRecord[], letters: readonly string[] = lettersUsed(records)): LetterBias | undefined {
  const asked = answered(records)
  if (asked.length === 0 || letters.length === 0) return undefined
  const k = letters.length
  const index = new Map(letters.map((l, i) => [l, i]))
  const confusion: ConfusionRow[] = letters.map((expected) => ({ expected, given: new Array<number>(k).fill(0), invalid: 0 }))
  const keyCounts = new Array<number>(k).fill(0)
  const givenCounts = new Array<number>(k).fill(0)
  let invalid = 0
  for (const r of asked) {
    const row = confusion[index.get(r.expected) as number] as ConfusionRow
    const given = r.given === null ? undefined : index.get(r.given)
    if (given === undefined) {
      invalid++
      row.invalid++
      continue
    }
    row.given[given]!++
    givenCounts[given]!++
    keyCounts[index.get(r.expected) as number]!++
  }
  const withLetter = asked.length - invalid
  const share = (c: number) => (withLetter ? c / withLetter : NaN)
  const keyShares = keyCounts.map(share)
  const givenShares = givenCounts.map(share)
  let best = 0
  for (let i = 1; i < k; i++) if ((givenShares[i] as number) - (keyShares[i] as number) > (givenShares[best] as number) - (keyShares[best] as number)) best = i
  const test = goodnessOfFit(givenCounts, keyCounts)
  const strongest = { letter: letters[best] as string, givenShare: givenShares[best] as number, keyShare: keyShares[best] as number }
  return {
    letters: [...letters],
    answers: asked.length,
    withLetter,
    invalid,
    keyCounts,
    givenCounts,
    keyShares,
    givenShares,
    confusion,
    test,
    strongest,
    strong: withLetter > 0 && strongest.givenShare - strongest.keyShare >= STRONG_BIAS_EXCESS && test.p < STRONG_BIAS_P,
  }
}
