import { describe, expect, test } from 'vitest'
import { chiSquareSurvival, gammaQ, goodnessOfFit, lnGamma, macroAccuracy, macroInterval, mcnemarExact, mean, microAccuracy, percentile, stderrOfProportion, wilson, Z95 } from '../src/base/stats.js'

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

  test('ln Γ matches factorials and Γ(1/2) = √π', () => {
    expect(lnGamma(1)).toBeCloseTo(0, 13)
    expect(lnGamma(11)).toBeCloseTo(Math.log(3628800), 11)
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13)
    expect(lnGamma(0.25)).toBeCloseTo(Math.log(3.625609908221908), 12)
  })

  test('chi-square survival: closed forms for 2 and 4 df, table values for 1 and 3 df', () => {
    for (const x of [0.1, 1, 2.5, 7, 20, 60]) {
      expect(chiSquareSurvival(x, 2)).toBeCloseTo(Math.exp(-x / 2), 13)
      expect(chiSquareSurvival(x, 4) / (Math.exp(-x / 2) * (1 + x / 2))).toBeCloseTo(1, 10)
    }
    // Critical values from published χ² tables.
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 12)
    expect(chiSquareSurvival(7.814727903251178, 3)).toBeCloseTo(0.05, 12)
    expect(chiSquareSurvival(11.344866730144373, 3)).toBeCloseTo(0.01, 12)
    expect(chiSquareSurvival(16.26623619623813, 3)).toBeCloseTo(0.001, 12)
    expect(chiSquareSurvival(0, 3)).toBe(1)
    expect(chiSquareSurvival(Infinity, 3)).toBe(0)
    // 3 df against Simpson's rule on the density, a second formula; t = u² keeps the integrand smooth at 0.
    const density = (t: number) => (Math.sqrt(t) * Math.exp(-t / 2)) / (2 ** 1.5 * (Math.sqrt(Math.PI) / 2))
    const cdf = (x: number, n = 2_000) => {
      const f = (u: number) => density(u * u) * 2 * u
      const h = Math.sqrt(x) / n
      let s = f(0) + f(Math.sqrt(x))
      for (let i = 1; i < n; i++) s += f(i * h) * (i % 2 ? 4 : 2)
      return (s * h) / 3
    }
    for (const x of [0.5, 2, 6]) expect(chiSquareSurvival(x, 3)).toBeCloseTo(1 - cdf(x), 8)
    expect(gammaQ(3, 0)).toBe(1)
  })

  test('goodness of fit: Pearson χ² with enough expected counts, exact multinomial below 5', () => {
    // 100 answers against equal shares: χ² = (25 + 25 + 0 + 0) / 25 = 2 on 3 df.
    const big = goodnessOfFit([30, 20, 25, 25], [1, 1, 1, 1])
    expect(big).toMatchObject({ test: 'chi-square', df: 3 })
    expect(big.statistic).toBeCloseTo(2, 12)
    expect(big.p).toBeCloseTo(chiSquareSurvival(2, 3), 14)
    // Shares need not be normalised: counts of keys work as well.
    expect(goodnessOfFit([30, 20, 25, 25], [50, 50, 50, 50]).p).toBe(big.p)
    // n = 2 over (.5, .25, .25), observed (0, 2, 0), P = 1/16. Outcomes as likely or less:
    // (0,2,0) and (0,0,2), 1/16 each; (0,1,1) is 1/8, the rest 1/4: p = 1/8.
    const small = goodnessOfFit([0, 2, 0], [2, 1, 1])
    expect(small.test).toBe('exact multinomial')
    expect(small.p).toBeCloseTo(1 / 8, 14)
    // Two categories: the exact test is the two-sided binomial test; 3 of 3 at 1/2: p = 2/8.
    expect(goodnessOfFit([3, 0], [1, 1]).p).toBeCloseTo(0.25, 14)
    // A letter that is never the key but is given: impossible under H0.
    expect(goodnessOfFit([5, 5, 0, 3], [10, 10, 3, 0])).toMatchObject({ p: 0, statistic: Infinity })
    // A letter neither keyed nor given drops out (2 df, not 3).
    expect(goodnessOfFit([40, 30, 30, 0], [1, 1, 1, 0]).df).toBe(2)
    expect(goodnessOfFit([0, 0, 0, 0], [1, 1, 1, 1]).p).toBe(1)
  })

  test('macro interval: the macro average ± z · sqrt(Σ var_i) / m, var_i = p̃(1 − p̃) / n with p̃ the adjusted accuracy', () => {
    const groups = [
      { correct: 46, total: 152 },
      { correct: 30, total: 100 },
    ]
    // By hand: p̃ = (k + z²/2) / (n + z²), var = p̃(1 − p̃) / n.
    const z2 = Z95 * Z95
    const v = groups.map(({ correct: k, total: n }) => {
      const p = (k + z2 / 2) / (n + z2)
      return (p * (1 - p)) / n
    })
    const centre = (46 / 152 + 30 / 100) / 2
    const half = (Z95 * Math.sqrt(v[0]! + v[1]!)) / 2
    const i = macroInterval(groups)
    expect(i.low).toBeCloseTo(centre - half, 12)
    expect(i.high).toBeCloseTo(centre + half, 12)
    // It holds the macro average, stays in [0, 1], and keeps some width at 100% (adjusted variance).
    const perfect = macroInterval([{ correct: 10, total: 10 }, { correct: 20, total: 20 }])
    expect(perfect.high).toBe(1)
    expect(perfect.low).toBeGreaterThan(0.8)
    expect(perfect.low).toBeLessThan(1)
    expect(macroInterval([])).toEqual({ low: 0, high: 1 })
    // One subject: macro is micro, so the same interval is printed for both (not two for one figure).
    expect(macroInterval([{ correct: 2, total: 8 }, { correct: 0, total: 0 }])).toEqual(wilson(2, 8))
    // Empty subjects carry no weight, as in macroAccuracy.
    expect(macroInterval([...groups, { correct: 0, total: 0 }])).toEqual(i)
  })

  // Issue 21 item 3: with each subject's variance divided by n + z² the interval
  // covered 85% at 5 questions per subject. True accuracies U(0.3, 0.6), 57
  // subjects; coverage counted here, 4,000 runs per setting (s.e. ≈ 0.35 points), 2,000 at
  // MMLU's sizes (14,042 draws a run). Measured: 94.7%, 94.4%, 94.9%, 94.6%.
  const MMLU_SIZES = [100, 135, 152, 100, 265, 144, 100, 100, 100, 173, 102, 100, 235, 114, 145, 378, 126, 100, 310, 203, 100, 165, 198, 193, 390, 270, 238, 151, 545, 216, 204, 237, 223, 131, 121, 108, 163, 112, 103, 234, 100, 783, 346, 895, 306, 311, 324, 282, 1534, 272, 612, 110, 245, 201, 100, 166, 171]
  test.each([
    { at: '5 questions per subject', sizes: MMLU_SIZES.map(() => 5) },
    { at: '10 questions per subject', sizes: MMLU_SIZES.map(() => 10) },
    { at: '20 questions per subject', sizes: MMLU_SIZES.map(() => 20) },
    { at: "MMLU's sizes (14,042 questions)", sizes: MMLU_SIZES, runs: 2000 },
  ])('macro interval covers 94–96.5 percent at $at (seeded simulation)', ({ sizes, runs = 4000 }) => {
    expect(sizes.length).toBe(57)
    let seed = 2024
    const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32)
    let covered = 0
    for (let r = 0; r < runs; r++) {
      let target = 0
      const groups = sizes.map((n) => {
        const p = 0.3 + 0.3 * random()
        target += p / sizes.length
        let k = 0
        for (let i = 0; i < n; i++) if (random() < p) k++
        return { correct: k, total: n }
      })
      const i = macroInterval(groups)
      if (i.low <= target && target <= i.high) covered++
    }
    expect(covered / runs).toBeGreaterThanOrEqual(0.94)
    expect(covered / runs).toBeLessThanOrEqual(0.965)
  })

  test('macro interval covers the true macro accuracy about 95% of the time (seeded simulation)', () => {
    let seed = 12345
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
    const truth = [
      { p: 0.3, n: 100 },
      { p: 0.55, n: 152 },
      { p: 0.9, n: 120 },
      { p: 0.25, n: 300 },
    ]
    const target = mean(truth.map((t) => t.p))
    const runs = 2000
    let covered = 0
    for (let r = 0; r < runs; r++) {
      const groups = truth.map(({ p, n }) => {
        let k = 0
        for (let i = 0; i < n; i++) if (random() < p) k++
        return { correct: k, total: n }
      })
      const i = macroInterval(groups)
      if (i.low <= target && target <= i.high) covered++
    }
    expect(covered / runs).toBeGreaterThan(0.93)
    expect(covered / runs).toBeLessThan(0.97)
  })
})
