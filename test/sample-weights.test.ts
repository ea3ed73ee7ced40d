// MMLU_SAMPLE estimates the full set (issue 21 item 2): each subject's sample
// weighs N_subject / n_subject, so the micro and category figures are
// unbiased for the full set's, and the interval is the stratified one with
// the finite-population correction. Reference values here are closed forms
// and a seeded simulation written in this file, never the function's output.
import { describe, expect, test } from 'vitest'
import type { Letter } from '../src/dataset/question.js'
import type { QuestionRecord } from '../src/base/record.js'
import { lnGamma, wilson } from '../src/base/stats.js'
import { summarizeRun, summarizeSubject } from '../src/run/summary.js'

// A small generator of our own (mulberry32), so the draws do not come from the code under test.
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** k of n drawn without replacement from N questions of which K are right (a partial Fisher–Yates on a 0/1 list). */
function draw(random: () => number, N: number, K: number, n: number): number {
  const right = Array.from({ length: N }, (_, i) => i < K)
  let k = 0
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (N - i))
    ;[right[i], right[j]] = [right[j]!, right[i]!]
    if (right[i]) k++
  }
  return k
}

function records(subject: string, k: number, n: number): QuestionRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const given: Letter = i < k ? 'D' : 'A'
    return { subject, index: i, expected: 'D', given, outcome: given === 'D' ? 'correct' : 'wrong', text: '', shots: 5, promptTokens: 1, evaluatedTokens: 1, completionTokens: 0, startedAt: 0, latencyMs: 1 }
  })
}

/** A sampled run: per subject [name, right answers drawn, asked, population]. */
function sampledRun(subjects: readonly (readonly [string, number, number, number])[]) {
  const all = subjects.map(([name, k, n]) => records(name, k, n))
  const summaries = subjects.map(([name, , , N], i) => summarizeSubject(name, all[i]!, 1, { planned: all[i]!.length, population: N }))
  return summarizeRun(summaries, all.flat(), 1)
}

// Always-D on the real data: professional_law has 375 keys D of 1534, astronomy 51 of 152.
const LAW = { N: 1534, K: 375 }
const ASTRONOMY = { N: 152, K: 51 }
const FULL_MICRO = (LAW.K + ASTRONOMY.K) / (LAW.N + ASTRONOMY.N)

describe('a sample weighted to the full set', () => {
  test('the full micro of always-D on professional_law + astronomy is 25.27%; an equal-weight 20 + 20 sample would average 29.0%', () => {
    expect(FULL_MICRO).toBeCloseTo(0.2527, 4)
    expect((LAW.K / LAW.N + ASTRONOMY.K / ASTRONOMY.N) / 2).toBeCloseTo(0.29, 2)
  })

  test('one sample by hand: each subject weighs its population, in the micro and in its category', () => {
    // 5/20 of law (humanities), 10/20 of astronomy (STEM), 3/20 of world_religions (humanities, 171).
    const run = sampledRun([['professional_law', 5, 20, LAW.N], ['astronomy', 10, 20, ASTRONOMY.N], ['world_religions', 3, 20, 171]])
    const N = LAW.N + ASTRONOMY.N + 171
    expect(run.microAccuracy).toBeCloseTo((LAW.N * 0.25 + ASTRONOMY.N * 0.5 + 171 * 0.15) / N, 12)
    expect(run.population).toBe(N)
    // Counts stay counts.
    expect([run.correct, run.questions]).toEqual([18, 60])
    const humanities = run.categories.find((c) => c.category === 'humanities')!
    expect(humanities.accuracy).toBeCloseTo((LAW.N * 0.25 + 171 * 0.15) / (LAW.N + 171), 12)
    expect([humanities.correct, humanities.total]).toEqual([8, 40])
    // The macro average is the mean of the subjects' accuracies, sample or not.
    expect(run.macroAccuracy).toBeCloseTo((0.25 + 0.5 + 0.15) / 3, 12)
  })

  test('a subject asked whole carries no sampling error: every subject whole gives the exact figure', () => {
    const run = sampledRun([['astronomy', 51, 152, 152], ['world_religions', 55, 171, 171]])
    expect(run.microAccuracy).toBeCloseTo(106 / 323, 12)
    expect(run.microCi95.low).toBeCloseTo(106 / 323, 12)
    expect(run.microCi95.high).toBeCloseTo(106 / 323, 12)
  })

  test('a run without a sample is unchanged: correct ÷ asked, Wilson', () => {
    const all = [records('astronomy', 40, 152), records('professional_law', 375, 1534)]
    const run = summarizeRun([summarizeSubject('astronomy', all[0]!, 1), summarizeSubject('professional_law', all[1]!, 1)], all.flat(), 1)
    expect(run.microAccuracy).toBe(415 / 1686)
    expect(run.microCi95).toEqual(wilson(415, 1686))
    expect(run.population).toBeUndefined()
  })

  // 4,000 seeded samples of n per subject from the two real subjects' always-D counts.
  test.each([
    [10, 0.94, 0.985],
    [20, 0.94, 0.975],
    [50, 0.94, 0.97],
  ])('%i per subject: unbiased for the full micro, and its interval covers it in a share of seeded samples between %f and %f', (n, low, high) => {
    const random = rng(2100 + n)
    const R = 4000
    let sum = 0
    let sumSq = 0
    let covered = 0
    for (let r = 0; r < R; r++) {
      const run = sampledRun([['professional_law', draw(random, LAW.N, LAW.K, n), n, LAW.N], ['astronomy', draw(random, ASTRONOMY.N, ASTRONOMY.K, n), n, ASTRONOMY.N]])
      sum += run.microAccuracy
      sumSq += run.microAccuracy ** 2
      if (run.microCi95.low <= FULL_MICRO && FULL_MICRO <= run.microCi95.high) covered++
    }
    const meanEstimate = sum / R
    const sd = Math.sqrt(sumSq / R - meanEstimate ** 2)
    if (process.env.SHOW_COVERAGE) console.log(`n ${n}: mean estimate ${meanEstimate.toFixed(4)}, coverage ${(covered / R).toFixed(4)}`)
    // Unbiased: the mean of the estimates is within 4 Monte Carlo standard errors of the full micro.
    expect(Math.abs(meanEstimate - FULL_MICRO)).toBeLessThan((4 * sd) / Math.sqrt(R))
    expect(covered / R).toBeGreaterThanOrEqual(low)
    expect(covered / R).toBeLessThanOrEqual(high)
  })
})

describe('per subject, Wilson on a sample of a finite subject (exact, hypergeometric)', () => {
  const lnC = (n: number, k: number) => lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1)
  /** The exact probability that wilson(k, n) covers K/N when n of N questions are drawn without replacement. */
  function coverage(N: number, K: number, n: number): number {
    let c = 0
    for (let k = Math.max(0, n - (N - K)); k <= Math.min(n, K); k++) {
      const w = wilson(k, n)
      if (w.low <= K / N && K / N <= w.high) c += Math.exp(lnC(K, k) + lnC(N - K, n - k) - lnC(N, n))
    }
    return c
  }

  // Over true accuracies from 20% to 90% (every K): the mean coverage, and its worst.
  test.each([
    [100, 5], [100, 20], [100, 50],
    [152, 5], [152, 20], [152, 50],
    [1534, 5], [1534, 20], [1534, 50],
  ])('N %i, n %i: covers 95 to 99.5 percent on average over accuracies from 20 to 90 percent, never below 89 percent', (N, n) => {
    const cs: number[] = []
    for (let K = Math.ceil(0.2 * N); K <= Math.floor(0.9 * N); K++) cs.push(coverage(N, K, n))
    const mean = cs.reduce((a, b) => a + b, 0) / cs.length
    if (process.env.SHOW_COVERAGE) console.log(`N ${N}, n ${n}: mean ${mean.toFixed(4)}, worst ${Math.min(...cs).toFixed(4)}`)
    expect(mean).toBeGreaterThanOrEqual(0.95)
    expect(mean).toBeLessThanOrEqual(0.995)
    expect(Math.min(...cs)).toBeGreaterThanOrEqual(0.89)
  })
})
