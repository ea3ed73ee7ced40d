// Calibration and letter bias (src/analysis), each figure against a value
// computed here by hand or by a second formula: on records written out by
// hand, and on the real MMLU astronomy split answered by models whose letter
// probabilities are fixed (the fixtures' logits-1-3-2-0 and logits-diluted).
import { describe, expect, test } from 'vitest'
import { calibrate, calibrateSubjects } from '../src/analysis/calibration.js'
import { letterBias, STRONG_BIAS_EXCESS } from '../src/analysis/letter-bias.js'
import { lettersUsed } from '../src/analysis/letters.js'
import { analysisOf, analyzeRun } from '../src/analysis/run.js'
import type { Letter } from '../src/dataset/question.js'
import type { LetterProbabilities, Outcome, QuestionRecord } from '../src/results.js'
import { chiSquareSurvival } from '../src/stats.js'
import { HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { answerAll, fixedLetter, loadWithInputs } from './helpers/fixed-answers.js'

function rec(expected: Letter, given: Letter | null, probabilities?: LetterProbabilities, outcome?: Outcome, subject = 'astronomy'): QuestionRecord {
  return {
    subject,
    index: 0,
    expected,
    given,
    outcome: outcome ?? (given === null ? 'invalid' : given === expected ? 'correct' : 'wrong'),
    ...(probabilities ? { probabilities } : {}),
    text: '',
    shots: 0,
    promptTokens: 1,
    evaluatedTokens: 1,
    completionTokens: 0,
    startedAt: 0,
    latencyMs: 1,
  }
}

const softmax = (logits: readonly number[], others = 0, otherLogit = -10) => {
  const z = logits.reduce((s, l) => s + Math.exp(l), 0) + others * Math.exp(otherLogit)
  return logits.map((l) => Math.exp(l) / z)
}
const asProbabilities = ([A, B, C, D]: number[]): LetterProbabilities => ({ A: A!, B: B!, C: C!, D: D! })

describe('calibration', () => {
  // Four answers with a letter: the second has the first's odds at half the mass (raw ≠ normalised).
  const records = [
    rec('A', 'A', { A: 0.9, B: 0.05, C: 0.03, D: 0.02 }),
    rec('B', 'A', { A: 0.45, B: 0.025, C: 0.015, D: 0.01 }),
    rec('C', 'C', { A: 0.1, B: 0.2, C: 0.35, D: 0.35 }),
    rec('A', 'D', { A: 0.2, B: 0.1, C: 0.3, D: 0.4 }),
    rec('B', null, { A: 0, B: 0, C: 0, D: 0 }),
    rec('C', null, undefined, 'error'),
    rec('D', 'B', undefined),
  ]

  test('ECE, Brier and mean confidence, by hand', () => {
    const c = calibrate(records)!
    expect(c).toMatchObject({ answers: 4, invalid: 1, withoutProbabilities: 1 })
    // Normalised: bin 9 holds .9 right and .9 wrong (|.5 − .9| = .4), bin 3 .35 right (.65), bin 4 .4 wrong (.4).
    expect(c.normalised.ece).toBeCloseTo(0.5 * 0.4 + 0.25 * 0.65 + 0.25 * 0.4, 12)
    // Raw: bin 9 .9 right (.1), bin 4 .45 and .4 both wrong (.425), bin 3 .35 right (.65).
    expect(c.raw.ece).toBeCloseTo(0.25 * 0.1 + 0.5 * 0.425 + 0.25 * 0.65, 12)
    expect(c.normalised.meanConfidence).toBeCloseTo((0.9 + 0.9 + 0.35 + 0.4) / 4, 12)
    expect(c.raw.meanConfidence).toBeCloseTo((0.9 + 0.45 + 0.35 + 0.4) / 4, 12)
    expect(c.normalised.accuracy).toBe(0.5)
    // Brier: Σ (p − 1[key])² per answer, e.g. the first: .1² + .05² + .03² + .02² = .0138.
    const first = 0.0138
    const fourth = 0.8 ** 2 + 0.1 ** 2 + 0.3 ** 2 + 0.4 ** 2
    const third = 0.1 ** 2 + 0.2 ** 2 + 0.65 ** 2 + 0.35 ** 2
    expect(c.normalised.brier).toBeCloseTo((first + (0.9 ** 2 + 0.95 ** 2 + 0.03 ** 2 + 0.02 ** 2) + third + fourth) / 4, 12)
    expect(c.raw.brier).toBeCloseTo((first + (0.45 ** 2 + 0.975 ** 2 + 0.015 ** 2 + 0.01 ** 2) + third + fourth) / 4, 12)
    // The bins: counts and means, empty ones NaN.
    expect(c.normalised.bins.map((b) => b.count)).toEqual([0, 0, 0, 1, 1, 0, 0, 0, 0, 2])
    expect(c.normalised.bins[9]).toMatchObject({ from: 0.9, to: 1, meanConfidence: 0.9, accuracy: 0.5 })
    expect(c.normalised.bins[0]!.accuracy).toBeNaN()
  })

  test('a confidence of exactly 1 falls in the last bin; generate runs have no calibration', () => {
    const c = calibrate([rec('A', 'A', { A: 1, B: 0, C: 0, D: 0 })])!
    expect(c.normalised.bins[9]!.count).toBe(1)
    expect(c.normalised.ece).toBe(0)
    expect(calibrate([rec('A', 'A'), rec('B', 'C')])).toBeUndefined()
  })

  test('per subject', () => {
    const subjects = calibrateSubjects([...records, rec('A', 'A', { A: 0.75, B: 0.25, C: 0, D: 0 }, undefined, 'virology')])
    expect(subjects.map((s) => [s.subject, s.answers])).toEqual([
      ['astronomy', 4],
      ['virology', 1],
    ])
    expect(subjects[1]!.normalised.ece).toBeCloseTo(0.25, 12)
  })

  describe.skipIf(!HAS_REAL_DATA)('fixed letter probabilities on the real astronomy split', () => {
    // logits-1-3-2-0 answers B with p = softmax(1, 3, 2, 0); logits-diluted has the
    // same odds among the letters, but 260 other tokens at logit −10 take 53% of the mass.
    test('ECE is |share of B keys − p(B)|, Brier Σp² + 1 − 2 Σ share·p', async () => {
      const astronomy = await loadWithInputs(REAL_DATA_DIR, 'astronomy')
      const keys: Partial<Record<Letter, number>> = {}
      for (const q of astronomy.test) keys[q.answer] = (keys[q.answer] ?? 0) + 1
      const n = astronomy.test.length
      const share = (l: Letter) => (keys[l] ?? 0) / n
      const letters = ['A', 'B', 'C', 'D'] as const
      for (const [logits, others] of [
        [[1, 3, 2, 0], 0],
        [[-7, -5, -6, -8], 260],
      ] as const) {
        const p = softmax(logits, others)
        const c = calibrate(answerAll(astronomy.test, asProbabilities(p)))!
        const normalised = softmax(logits)
        expect(c.answers).toBe(152)
        expect(c.normalised.accuracy).toBeCloseTo(share('B'), 12)
        expect(c.normalised.ece).toBeCloseTo(Math.abs(share('B') - normalised[1]!), 12)
        expect(c.raw.ece).toBeCloseTo(Math.abs(share('B') - p[1]!), 12)
        const brier = (q: number[]) => q.reduce((s, x) => s + x * x, 0) + 1 - 2 * letters.reduce((s, l, i) => s + share(l) * q[i]!, 0)
        expect(c.normalised.brier).toBeCloseTo(brier(normalised), 12)
        expect(c.raw.brier).toBeCloseTo(brier(p), 12)
      }
    })
  })
})

describe('letter bias', () => {
  test('shares, confusion matrix with invalid apart, and the test, by hand', () => {
    const records = [
      rec('A', 'A'),
      rec('A', 'C'),
      rec('B', 'C'),
      rec('C', 'C'),
      rec('D', 'C'),
      rec('D', null),
      rec('B', null, undefined, 'error'),
      rec('C', null, undefined, 'not-asked'),
    ]
    const b = letterBias(records)!
    expect(b).toMatchObject({ letters: ['A', 'B', 'C', 'D'], answers: 6, withLetter: 5, invalid: 1 })
    expect(b.keyCounts).toEqual([2, 1, 1, 1])
    expect(b.givenCounts).toEqual([1, 0, 4, 0])
    expect(b.givenShares).toEqual([0.2, 0, 0.8, 0])
    expect(b.confusion).toEqual([
      { expected: 'A', given: [1, 0, 1, 0], invalid: 0 },
      { expected: 'B', given: [0, 0, 1, 0], invalid: 0 },
      { expected: 'C', given: [0, 0, 1, 0], invalid: 0 },
      { expected: 'D', given: [0, 0, 1, 0], invalid: 1 },
    ])
    expect(b.strongest).toEqual({ letter: 'C', givenShare: 0.8, keyShare: 0.2 })
    // 5 answers over (.4, .2, .2, .2): exact multinomial. P(1,0,4,0) = 5!/(1!4!) · .4 · .2⁴ = .0032;
    // as likely or less: every outcome with P ≤ .0032, summed here by brute force.
    expect(b.test.test).toBe('exact multinomial')
    const pmf = (c: number[]) => {
      const f = (k: number): number => (k <= 1 ? 1 : k * f(k - 1))
      return (f(5) / c.reduce((s, k) => s * f(k), 1)) * c.reduce((s, k, i) => s * [0.4, 0.2, 0.2, 0.2][i]! ** k, 1)
    }
    let p = 0
    for (let a = 0; a <= 5; a++) for (let bb = 0; a + bb <= 5; bb++) for (let c = 0; a + bb + c <= 5; c++) if (pmf([a, bb, c, 5 - a - bb - c]) <= pmf([1, 0, 4, 0]) * (1 + 1e-9)) p += pmf([a, bb, c, 5 - a - bb - c])
    expect(b.test.p).toBeCloseTo(p, 14)
    expect(b.strong).toBe(false) // p ≈ .03: not below .001
  })

  test('a perfect model follows the keys; a small preference is not strong', () => {
    const keys: Letter[] = [...'ABCDABCDABCDABCDABCD'] as Letter[]
    expect(letterBias(keys.map((k) => rec(k, k)))).toMatchObject({ strong: false, test: { statistic: 0, p: 1 } })
    // 1000 answers, 250 per key; 50 A keys answered C: C given 5 points more than it is
    // the key. χ² = (50² + 50²) / 250 = 20 on 3 df: significant, but not strong.
    const answers: QuestionRecord[] = []
    for (let i = 0; i < 1000; i++) {
      const key = 'ABCD'[i % 4] as Letter
      answers.push(rec(key, key === 'A' && i < 200 ? 'C' : key))
    }
    const b = letterBias(answers)!
    expect(b.strongest).toEqual({ letter: 'C', givenShare: 0.3, keyShare: 0.25 })
    expect(b.test.statistic).toBeCloseTo(20, 12)
    expect(b.test.p).toBeCloseTo(chiSquareSurvival(20, 3), 14)
    expect(b.test.p).toBeLessThan(0.001)
    expect(b.strong).toBe(false)
  })

  test.skipIf(!HAS_REAL_DATA)('always-C on the real astronomy split: χ² = n (1 / share(C) − 1), strong', async () => {
    const astronomy = await loadWithInputs(REAL_DATA_DIR, 'astronomy')
    const n = astronomy.test.length
    const c = astronomy.test.filter((q) => q.answer === 'C').length
    expect(c).toBe(46) // the known count: always-C scores 46/152
    const b = letterBias(answerAll(astronomy.test, fixedLetter('C')))!
    expect(b.givenShares).toEqual([0, 0, 1, 0])
    expect(b.keyShares[2]).toBeCloseTo(c / n, 14)
    expect(b.test).toMatchObject({ test: 'chi-square', df: 3 })
    // Σ (o − e)² / e with o = (0, 0, n, 0) and e = n · share: Σ e − 2n + n² / e_C = n / share(C) − n.
    expect(b.test.statistic).toBeCloseTo(n / (c / n) - n, 9)
    expect(b.test.p).toBeCloseTo(chiSquareSurvival(n / (c / n) - n, 3), 14)
    expect(b.strong).toBe(true)
    expect(b.confusion.map((r) => r.given[2])).toEqual((['A', 'B', 'C', 'D'] as const).map((l) => astronomy.test.filter((q) => q.answer === l).length))
  })

  test('letters come from the records: five options give a 5 × 5 matrix', () => {
    const b = letterBias([rec('A', 'A'), rec('E', 'A'), rec('B', 'E')])!
    expect(b.letters).toEqual(['A', 'B', 'C', 'D', 'E'])
    expect(b.confusion).toHaveLength(5)
    expect(b.confusion[4]).toEqual({ expected: 'E', given: [1, 0, 0, 0, 0], invalid: 0 })
    expect(lettersUsed([rec('B', 'A')])).toEqual(['A', 'B'])
  })
})

describe('question sets with other than four options', () => {
  test('two options: probabilities over A and B only; ten: a 10 × 10 matrix', () => {
    const two = [rec('A', 'A', { A: 0.6, B: 0.2 }), rec('B', 'A', { A: 0.3, B: 0.1 })]
    const c = calibrate(two)!
    // Normalised over the question's two letters: .75 each, one right.
    expect(c.normalised.meanConfidence).toBeCloseTo(0.75, 12)
    expect(c.normalised.ece).toBeCloseTo(0.25, 12)
    expect(c.normalised.brier).toBeCloseTo((2 * 0.25 ** 2 + 2 * 0.75 ** 2) / 2, 12)
    expect(letterBias(two)!.letters).toEqual(['A', 'B'])
    const ten = letterBias([rec('J', 'B'), rec('B', 'B'), rec('C', 'J')])!
    expect(ten.letters).toHaveLength(10)
    expect(ten.confusion[9]!.given[1]).toBe(1)
  })
})

describe('run analysis', () => {
  test('stored in the results, or computed from the records of an older file', () => {
    const records = [rec('A', 'A', { A: 0.7, B: 0.1, C: 0.1, D: 0.1 }), rec('B', 'A', { A: 0.6, B: 0.2, C: 0.1, D: 0.1 })]
    const analysis = analyzeRun(records)
    expect(analysis.calibration?.subjects.map((s) => s.subject)).toEqual(['astronomy'])
    expect(analysis.letterBias?.givenCounts).toEqual([2, 0, 0, 0])
    expect(analysisOf({ records })).toEqual(analysis)
    expect(analysisOf({ records: [], analysis })).toBe(analysis)
    expect(analyzeRun([rec('A', 'B')])).not.toHaveProperty('calibration')
  })

  // Issue 25 bug 1: a record no engine writes (all probabilities 0, yet a letter) made calibration index a bin with NaN and threw.
  test('an analysis that fails is reported as failed, and the others still come out', () => {
    const records = [rec('A', 'A', { A: 0, B: 0, C: 0, D: 0 }), rec('B', 'A', { A: 0.6, B: 0.2, C: 0.1, D: 0.1 })]
    const analysis = analyzeRun(records)
    expect(analysis).not.toHaveProperty('calibration')
    expect(analysis.failed).toEqual([{ analysis: 'calibration', error: expect.stringMatching(/\S/) }])
    expect(analysis.letterBias?.givenCounts).toEqual([2, 0, 0, 0])
    expect(analyzeRun([rec('A', 'A', { A: 0.7, B: 0.1, C: 0.1, D: 0.1 })])).not.toHaveProperty('failed')
  })
})
