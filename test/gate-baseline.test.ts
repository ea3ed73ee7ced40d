// The paired baseline comparison: exact McNemar on the discordant pairs,
// Holm across subjects, the tolerance, the flips, and the refusals.
import { describe, expect, test } from 'vitest'
import type { BaselineComparison, BaselineRefusal } from '../src/analysis/paired.js'
import { compareWithBaseline, formatP, holmAdjust } from '../src/analysis/paired.js'
import { parseResultsFile } from '../src/run/results-read.js'
import type { Outcome } from '../src/run/results.js'
import { fakeRun } from './helpers/gate-runs.js'

/** Exact two-sided McNemar p computed independently: 2 · Σ_{i ≤ min(b,c)} C(n, i) / 2^n with BigInt binomials. */
function mcnemarBigInt(b: number, c: number): number {
  const n = BigInt(b + c)
  const k = BigInt(Math.min(b, c))
  let sum = 0n
  let binom = 1n // C(n, 0)
  for (let i = 0n; i <= k; i++) {
    sum += binom
    binom = (binom * (n - i)) / (i + 1n)
  }
  const num = 2n * sum
  const den = 2n ** n
  return num >= den ? 1 : Number(num) / Number(den)
}

/**
 * A baseline/current pair over one subject of `total` questions with exactly
 * `b` right→wrong and `c` wrong→right flips; `same` questions right in both.
 */
function pairWithFlips(b: number, c: number, same: number, total: number): [Outcome[], Outcome[]] {
  const before: Outcome[] = []
  const after: Outcome[] = []
  for (let i = 0; i < total; i++) {
    if (i < b) before.push('correct'), after.push('wrong')
    else if (i < b + c) before.push('wrong'), after.push('correct')
    else if (i < b + c + same) before.push('correct'), after.push('correct')
    else before.push('wrong'), after.push('wrong')
  }
  return [before, after]
}

function compared(result: BaselineComparison | BaselineRefusal): BaselineComparison {
  if (result.kind !== 'compared') throw new Error(`refused: ${result.reasons.join('; ')}`)
  return result
}

function refused(result: BaselineComparison | BaselineRefusal): string[] {
  if (result.kind !== 'refused') throw new Error('expected a refusal')
  return result.reasons
}

const SETTINGS = { alpha: 0.05 }

describe('baseline comparison', () => {
  test('12 right→wrong vs 2 wrong→right on one subject is a regression with the exact McNemar p', () => {
    const [before, after] = pairWithFlips(12, 2, 10, 40)
    const c = compared(compareWithBaseline(fakeRun({ astronomy: { outcomes: before } }), fakeRun({ astronomy: { outcomes: after } }), 'base.json', SETTINGS))
    const expected = mcnemarBigInt(12, 2)
    expect(expected).toBe(212 / 16384) // 2 · (1 + 14 + 91) / 2^14, exactly representable
    const s = c.subjects[0]!
    expect(s).toMatchObject({ name: 'astronomy', n: 40, rightToWrong: 12, wrongToRight: 2, baselineCorrect: 22, currentCorrect: 12, verdict: 'regression' })
    expect(Math.abs(s.pValue - expected) / expected).toBeLessThan(1e-12)
    expect(s.adjustedP).toBe(s.pValue) // one subject: Holm changes nothing
    expect(s.drop).toBeCloseTo(10 / 40, 12)
    expect(s.reasons).toEqual(['significant drop (p 0.0129 < α 0.05)'])
    expect(c.overall).toMatchObject({ n: 40, rightToWrong: 12, wrongToRight: 2, verdict: 'regression' })
    expect(c.regressions.map((r) => r.name)).toEqual(['astronomy', 'overall'])
    expect(c.rightToWrong.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(c.wrongToRight).toEqual([
      { subject: 'astronomy', index: 12, expected: 'A', before: 'B', after: 'A' },
      { subject: 'astronomy', index: 13, expected: 'B', before: 'C', after: 'B' },
    ])
  })

  test('3 right→wrong vs 2 wrong→right is not flagged (p = 1)', () => {
    const [before, after] = pairWithFlips(3, 2, 10, 40)
    const c = compared(compareWithBaseline(fakeRun({ astronomy: { outcomes: before } }), fakeRun({ astronomy: { outcomes: after } }), 'base.json', SETTINGS))
    expect(mcnemarBigInt(3, 2)).toBe(1)
    expect(c.subjects[0]).toMatchObject({ rightToWrong: 3, wrongToRight: 2, pValue: 1, verdict: 'no significant change', reasons: [] })
    expect(c.overall.verdict).toBe('no significant change')
    expect(c.regressions).toEqual([])
  })

  test.each([
    [10, 0],
    [20, 7],
    [40, 21],
    [100, 70],
  ])('p for %i vs %i matches the BigInt sum', (b, c) => {
    const [before, after] = pairWithFlips(b, c, 0, b + c + 5)
    const p = compared(compareWithBaseline(fakeRun({ virology: { outcomes: before } }), fakeRun({ virology: { outcomes: after } }), 'b', SETTINGS)).overall.pValue
    const expected = mcnemarBigInt(b, c)
    expect(Math.abs(p - expected) / expected).toBeLessThan(1e-9)
  })

  test('a significant gain is an improvement, never a regression', () => {
    const [before, after] = pairWithFlips(2, 12, 0, 20)
    const c = compared(compareWithBaseline(fakeRun({ astronomy: { outcomes: before } }), fakeRun({ astronomy: { outcomes: after } }), 'b', SETTINGS))
    expect(c.subjects[0]).toMatchObject({ verdict: 'improvement', drop: -0.5 })
    expect(c.regressions).toEqual([])
  })

  test('a drop above the tolerance is a regression even when not significant; equal to it is not', () => {
    const [before, after] = pairWithFlips(3, 1, 0, 100) // drop 2 points, p = 0.625
    const run = (tolerance: number) => compared(compareWithBaseline(fakeRun({ astronomy: { outcomes: before } }), fakeRun({ astronomy: { outcomes: after } }), 'b', { alpha: 0.05, tolerance }))
    expect(run(0.02).regressions).toEqual([])
    const c = run(0.015)
    expect(c.subjects[0]).toMatchObject({ verdict: 'regression', reasons: ['drop 2.0 points > tolerance 1.5'] })
    expect(c.subjects[0]!.pValue).toBeCloseTo(0.625, 12)
  })

  test('Holm across subjects: one noisy subject among ten is not flagged alone, but the pooled overall drop is', () => {
    const [before, after] = pairWithFlips(12, 2, 0, 20)
    const others = ['anatomy', 'virology', 'marketing', 'nutrition', 'sociology', 'philosophy', 'prehistory', 'management', 'econometrics']
    const spec = (outcomes: Outcome[]) => Object.fromEntries([['astronomy', { outcomes }], ...others.map((s) => [s, { correct: 5, total: 10 }])])
    const c = compared(compareWithBaseline(fakeRun(spec(before)), fakeRun(spec(after)), 'b', SETTINGS))
    const astronomy = c.subjects.find((s) => s.name === 'astronomy')!
    expect(astronomy.pValue).toBeCloseTo(212 / 16384, 12)
    expect(astronomy.adjustedP).toBeCloseTo((10 * 212) / 16384, 12)
    expect(astronomy.verdict).toBe('no significant change')
    expect(c.overall).toMatchObject({ n: 110, rightToWrong: 12, wrongToRight: 2, verdict: 'regression' })
    expect(c.regressions.map((r) => r.name)).toEqual(['overall'])
  })

  test('formatP: 3 significant digits, exponent form below 0.001, and a p that underflowed to 0 as a bound, never "0"; no p at all as –', () => {
    expect([formatP(0.0123456), formatP(0.000123456), formatP(5e-324), formatP(0), formatP(NaN)]).toEqual(['0.0123', '1.23e-4', '4.94e-324', '< 1e-300', '–'])
  })

  test('holmAdjust matches a hand computation and keeps the input order', () => {
    // sorted: .01·3 = .03; .03·2 = .06; .04·1 = .04 → max(.06, .04) = .06
    const adjusted = holmAdjust([0.01, 0.04, 0.03])
    expect(adjusted[0]).toBeCloseTo(0.03, 12)
    expect(adjusted[1]).toBeCloseTo(0.06, 12)
    expect(adjusted[2]).toBeCloseTo(0.06, 12)
    expect(holmAdjust([0.5, 0.9])).toEqual([1, 1])
    expect(holmAdjust([])).toEqual([])
  })

  test('questions are paired by subject and index; unpaired ones are counted, not compared', () => {
    const baseline = fakeRun({ astronomy: { correct: 10, total: 20 }, anatomy: { correct: 3, total: 5 } })
    const current = fakeRun({ astronomy: { correct: 10, total: 30 }, virology: { correct: 1, total: 4 } })
    const c = compared(compareWithBaseline(baseline, current, 'b', SETTINGS))
    expect(c.subjects.map((s) => [s.name, s.n])).toEqual([['astronomy', 20]])
    expect(c.onlyCurrent).toBe(10 + 4)
    expect(c.onlyBaseline).toBe(5)
    expect(c.overall).toMatchObject({ rightToWrong: 0, wrongToRight: 0, pValue: 1 })
  })
})

describe('runs that cannot be paired are refused', () => {
  const spec = { astronomy: { correct: 5, total: 10 }, anatomy: { correct: 5, total: 10 } }

  test.each([
    ['shots', fakeRun(spec, { shots: 0 }), /^astronomy: different shots \(baseline 5-shot, this run 0-shot\)$/],
    ['prompts', fakeRun(spec, { inputs: { anatomy: { promptHash: 'sha256:other' } } }), /^anatomy: different prompts \(prompt template or few-shot examples/],
    ['data', fakeRun(spec, { inputs: { astronomy: { dataFingerprint: 'sha256:other' } } }), /^astronomy: different test questions \(data fingerprint/],
    ['per-question shots', fakeRun(spec, { questionShots: { 'anatomy#7': 3 } }), /^1 question was asked with a different number of few-shot examples \(e\.g\. anatomy #7: 5 in the baseline, 3 now\)/],
  ])('different %s', (_, current, reason) => {
    const reasons = refused(compareWithBaseline(fakeRun(spec), current, 'b', SETTINGS))
    expect(reasons[0]).toMatch(reason)
  })

  test('a baseline without inputs (older file), or without any common question', () => {
    const old = fakeRun(spec)
    delete old.config.inputs
    expect(refused(compareWithBaseline(old, fakeRun(spec), 'b', SETTINGS))[0]).toMatch(/the baseline records no prompt hash or data fingerprint/)
    expect(refused(compareWithBaseline(fakeRun({ virology: { correct: 1, total: 3 } }), fakeRun(spec), 'b', SETTINGS))).toEqual([
      'no question of this run is in the baseline (the baseline has virology)',
    ])
  })
})

describe('reading a baseline file', () => {
  test('a results file round-trips; damaged or foreign files are clear errors', () => {
    const run = fakeRun({ astronomy: { correct: 1, total: 2 } })
    expect(parseResultsFile(JSON.stringify(run), 'b.json')).toEqual(run)
    expect(() => parseResultsFile('{"a": 1}', 'b.json')).toThrow(/^b\.json: not an MMLU results file/)
    expect(() => parseResultsFile(JSON.stringify({ ...run, schema: 7 }), 'b.json')).toThrow(/results schema 7 is not supported/)
    const bad = structuredClone(run)
    ;(bad.records[1] as { outcome: string }).outcome = 'maybe'
    expect(() => parseResultsFile(JSON.stringify(bad), 'b.json')).toThrow(/record 1 is not a question record/)
    expect(() => parseResultsFile('{\n"records": [\n}', 'b.json')).toThrow(/^b\.json(:\d+)?: not valid JSON/)
  })
})
