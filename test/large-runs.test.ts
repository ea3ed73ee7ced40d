// Runs of any size: V8 refuses a call with more than ~125,000 spread arguments
// (`Math.max(...xs)` on one answer per question), which lost whole runs at
// MMLU_TRIALS=10 over 57 subjects (140,420 asks). Nothing sized by the data may
// be spread into a call; the analyses of a run that large give exact counts.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, test } from 'vitest'
import { maxOf, minOf } from '../src/base/extent.js'
import { trialSpread } from '../src/analysis/trials.js'
import type { QuestionRecord } from '../src/base/record.js'
import { throughput } from '../reporters/render/timing-charts.js'
import { record } from './helpers/gate-runs.js'

const ROOT = path.resolve(import.meta.dirname, '..')
const PRODUCT = ['src', 'reporters', 'scripts', 'bench']

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name)
    if (statSync(p).isDirectory()) yield* sources(p)
    else if (p.endsWith('.ts')) yield p
  }
}

/** A spread into a call's arguments, unless it forwards the enclosing function's own rest parameter. */
function spreadCalls(file: string, text = readFileSync(file, 'utf8')): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const restParams = new Set<string>()
  const visit = (node: ts.Node): void => {
    if (ts.isParameter(node) && node.dotDotDotToken && ts.isIdentifier(node.name)) restParams.add(node.name.text)
    if (ts.isSpreadElement(node) && (ts.isCallExpression(node.parent) || ts.isNewExpression(node.parent))) {
      const forwarded = ts.isIdentifier(node.expression) && restParams.has(node.expression.text)
      if (!forwarded) found.push(`${path.relative(ROOT, file)}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.parent.getText().slice(0, 80)}`)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return found
}

describe('no size limit but memory', () => {
  test('no array is spread into a call in the product code (use maxOf/minOf or a loop)', () => {
    const found = PRODUCT.flatMap((d) => [...sources(path.join(ROOT, d))]).flatMap((f) => spreadCalls(f))
    expect(found).toEqual([])
  })

  test('the scan finds a planted spread, and lets a function forward its own rest parameter', () => {
    const text = 'const xs = [1, 2]\nexport const m = Math.max(...xs)\nexport function f(...rest: number[]) { return Math.min(...rest) }\n'
    const found = spreadCalls(path.join(ROOT, 'src/planted.ts'), text)
    expect(found).toEqual(['src/planted.ts:2: Math.max(...xs)'])
  })

  test('maxOf and minOf agree with Math.max and Math.min, floor and NaN included', () => {
    const cases: number[][] = [[], [3], [1, 5, -2], [-Infinity, -1], [2, NaN, 9], [0.5, 0.25]]
    for (const xs of cases) {
      expect(maxOf(xs)).toBe(Math.max(...xs))
      expect(minOf(xs)).toBe(Math.min(...xs))
      expect(maxOf(xs, 4)).toBe(Math.max(4, ...xs))
      expect(minOf(xs, 0)).toBe(Math.min(0, ...xs))
    }
    expect(maxOf(new Set([4, 7, 1]).values())).toBe(7)
  })

  test('maxOf and minOf take 1,000,000 values, where a spread throws', () => {
    const xs = Array.from({ length: 1_000_000 }, (_, i) => (i * 7919) % 1_000_003)
    expect(() => Math.max(...xs)).toThrow(RangeError)
    let hi = -Infinity
    let lo = Infinity
    for (const x of xs) {
      if (x > hi) hi = x
      if (x < lo) lo = x
    }
    expect(maxOf(xs)).toBe(hi)
    expect(minOf(xs)).toBe(lo)
  })

  test('MMLU_TRIALS=10 over 14,042 questions (140,420 asks): the trial spread is exact', () => {
    const questions = 14_042
    const trials = 10
    // Question i is right in trial t when (i + t) % 4 === 0: each trial's count is known in closed form.
    const records: QuestionRecord[] = []
    for (let i = 0; i < questions; i++) {
      for (let t = 1; t <= trials; t++) records.push({ ...record('astronomy', i, (i + t) % 4 === 0 ? 'correct' : 'wrong'), trial: t })
    }
    const spread = trialSpread(records)!
    expect(spread.trials).toBe(10)
    expect(spread.questions).toBe(questions)
    for (let t = 1; t <= trials; t++) {
      // i ≡ -t (mod 4) for i in [0, questions)
      const r = (4 - (t % 4)) % 4
      const right = Math.floor((questions - 1 - r) / 4) + 1
      expect(spread.accuracies[t - 1]).toBeCloseTo(right / questions, 12)
    }
    const accs = spread.accuracies
    expect(spread.min).toBe(accs.reduce((a, b) => Math.min(a, b)))
    expect(spread.max).toBe(accs.reduce((a, b) => Math.max(a, b)))
  })

  test('the throughput timeline of 200,000 timed answers counts every answer once', () => {
    const n = 200_000
    const records = Array.from({ length: n }, (_, i) => ({ ...record('astronomy', i, 'correct'), startedAt: 1_000 + i, latencyMs: 5 }))
    const points = throughput(records)
    const width = points.length > 1 ? points[1]!.t - points[0]!.t : points[0]!.t
    const counted = points.reduce((s, p) => s + p.qps * width, 0)
    expect(Math.round(counted)).toBe(n)
  })
})
