import { describe, expect, test } from 'vitest'
import { macroAccuracy, mcnemarExact, mean, microAccuracy, percentile, stderrOfProportion, wilson } from '../src/stats.js'

describe('stats', () => {
  test('Wilson interval matches published values', () => {
    // Newcombe (1998), Table I: 5/10 → 0.2366-0.7634; 0/10 → 0-0.2775; 10/10 → 0.7225-1.
    const half = wilson(5, 10)
    expect(half.low).toBeCloseTo(0.2366, 4)
    expect(half.high).toBeCloseTo(0.7634, 4)
    expect(wilson(0, 10).low).toBe(0)
    expect(wilson(0, 10).high).toBeCloseTo(0.2775, 4)
    expect(wilson(10, 10).low).toBeCloseTo(0.7225, 4)
    expect(wilson(10, 10).high).toBe(1)
    expect(wilson(0, 0)).toEqual({ low: 0, high: 1 })
  })

  test('stderr is the sample std over sqrt(n), as lm-eval reports', () => {
    // 46 ones and 106 zeros: sample variance = n p (1-p) / (n-1)
    const p = 46 / 152
    expect(stderrOfProportion(46, 152)).toBeCloseTo(Math.sqrt((152 * p * (1 - p)) / 151 / 152), 12)
    expect(stderrOfProportion(1, 1)).toBeNaN()
  })

  test('percentile interpolates linearly like numpy', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5)
    expect(percentile([4, 1, 3, 2], 95)).toBeCloseTo(3.85, 12)
    expect(percentile([7], 95)).toBe(7)
    expect(percentile([], 50)).toBeNaN()
    expect(mean([1, 2, 6])).toBe(3)
  })

  test('micro weighs questions, macro weighs groups', () => {
    const groups = [
      { correct: 1, total: 2 },
      { correct: 9, total: 10 },
    ]
    expect(microAccuracy(groups)).toBe(10 / 12)
    expect(macroAccuracy(groups)).toBe((0.5 + 0.9) / 2)
  })

  test('exact McNemar p-value from the binomial tail', () => {
    // b=12, c=2: 2 * (C(14,0)+C(14,1)+C(14,2)) / 2^14 = 2 * 106 / 16384
    expect(mcnemarExact(12, 2)).toBeCloseTo((2 * 106) / 16384, 12)
    expect(mcnemarExact(2, 12)).toBeCloseTo((2 * 106) / 16384, 12)
    // b=3, c=2: 2 * P(X<=2 | n=5) = 2 * 16/32 = 1
    expect(mcnemarExact(3, 2)).toBe(1)
    expect(mcnemarExact(0, 0)).toBe(1)
    expect(mcnemarExact(10, 0)).toBeCloseTo(2 / 1024, 12)
  })
})
