// The no-preference test past DRAW_EACH_ANSWER_UP_TO wrong answers, where each
// Monte Carlo draw is a multinomial per (stratum, key) built from binomials
// instead of a random letter per answer. Its false-positive rate under the
// null, simulated here with answers drawn as the null says, must be its level.
import { describe, expect, test } from 'vitest'
import type { LetterBias } from '../src/analysis/letter-bias.js'
import { DRAW_EACH_ANSWER_UP_TO, letterBias } from '../src/analysis/letter-bias.js'
import type { Letter, QuestionRecord } from '../src/base/record.js'
import { seededRandom } from '../src/base/random.js'

const LETTERS: Letter[] = ['A', 'B', 'C', 'D']

/** `wrong` wrong answers with keys cycling A-D, each given letter drawn by `pick` among the three wrong ones. */
function run(wrong: number, pick: (key: number, random: () => number) => number, seed: number): QuestionRecord[] {
  const random = seededRandom(seed)
  const out: QuestionRecord[] = []
  for (let i = 0; i < wrong; i++) {
    const key = i % 4
    const r = pick(key, random)
    const given = r >= key ? r + 1 : r
    out.push({ subject: 'scale', index: i, expected: LETTERS[key]!, given: LETTERS[given]!, outcome: 'wrong', text: '', shots: 0, promptTokens: 0, evaluatedTokens: 0, completionTokens: 0, startedAt: 0, latencyMs: 0 })
  }
  return out
}

const uniform = (_key: number, random: () => number) => Math.floor(random() * 3)

/**
 * 80 seeded runs under no preference: the Monte Carlo test's p must spread as a uniform does.
 * Binomial(80, 0.05): P(X ≥ 11) < 0.001. Binomial(80, 0.25): P(X ≤ 6) and P(X ≥ 36) < 0.001.
 * Binomial(80, 0.5): P(X ≤ 24) and P(X ≥ 56) < 0.001. Too few small p is a broken test as much as too many.
 */
function expectUniformP(records: (seed: number) => QuestionRecord[], check: (b: LetterBias) => void = () => {}): void {
  const RUNS = 80
  let below05 = 0
  let below25 = 0
  let above05 = 0
  for (let seed = 1; seed <= RUNS; seed++) {
    const b = letterBias(records(seed))!
    expect(b.test.test).toBe('monte carlo')
    check(b)
    if (b.test.p < 0.05) below05++
    if (b.test.p < 0.25) below25++
    if (b.test.p > 0.5) above05++
  }
  expect(below05).toBeLessThanOrEqual(10)
  expect(below25).toBeGreaterThanOrEqual(7)
  expect(below25).toBeLessThanOrEqual(35)
  expect(above05).toBeGreaterThanOrEqual(25)
  expect(above05).toBeLessThanOrEqual(55)
}

describe('letter preference past the per-answer draws', () => {
  const size = DRAW_EACH_ANSWER_UP_TO + 4_000

  test('under no preference, p < 0.05 in about 5% of runs and p spreads over (0, 1)', () => {
    expectUniformP((seed) => run(size, uniform, seed))
  })

  test('4- and 5-option questions with uneven keys, past the bound: under no preference p < 0.05 in about 5% of runs', () => {
    // Wrong answers per key: 4 options 150/250/300/200, 5 options 40/60/100/120/180 (1,400 in all).
    const strata = [
      { options: 4, byKey: [150, 250, 300, 200] },
      { options: 5, byKey: [40, 60, 100, 120, 180] },
    ]
    expect(1_400).toBeGreaterThan(DRAW_EACH_ANSWER_UP_TO)
    const mixed = (seed: number): QuestionRecord[] => {
      const random = seededRandom(1_000 + seed)
      const records: QuestionRecord[] = []
      for (const { options, byKey } of strata) {
        byKey.forEach((n, key) => {
          for (let i = 0; i < n; i++) {
            // No preference: uniform over the options that are not the key.
            const r = Math.floor(random() * (options - 1))
            const given = r >= key ? r + 1 : r
            records.push({ subject: 'mixed', index: records.length, expected: 'ABCDE'[key] as Letter, given: 'ABCDE'[given] as Letter, options, outcome: 'wrong', text: '', shots: 0, promptTokens: 0, evaluatedTokens: 0, completionTokens: 0, startedAt: 0, latencyMs: 0 })
          }
        })
      }
      return records
    }
    expectUniformP(mixed, (b) => expect(b.test.strata).toEqual([{ options: 4, wrong: 900 }, { options: 5, wrong: 500 }]))
  })

  test('a model that gives C for 40% of its wrong answers where C is wrong, instead of a third, is found at the floor', () => {
    // C is letter 2; among the three wrong ones of key k its index is 2 − (k < 2 ? 1 : 0).
    const prefersC = (key: number, random: () => number) => (key !== 2 && random() < 0.1 ? (key < 2 ? 1 : 2) : Math.floor(random() * 3))
    const b = letterBias(run(size, prefersC, 7))!
    expect(b.test.test).toBe('monte carlo')
    expect(b.test.p).toBeLessThan(0.001)
    expect(b.test.atFloor).toBe(true)
  })
})
