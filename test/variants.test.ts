// Trials, rotated options and seeded samples (issue 15 items 3 and 5, issue 14
// item 3) as pure functions: the sample, the rotations, the seeds, the letter
// drawn at a temperature, the trial spread, the rotation figures and the
// intervals that count each question once. Every expected figure is computed
// here by hand or by a second formula.
import { describe, expect, test } from 'vitest'
import { rotationSummary } from '../src/analysis/rotation.js'
import { trialSpread } from '../src/analysis/trials.js'
import type { Letter, Question } from '../src/dataset/question.js'
import { deriveSeed, MAX_SEED, seededPermutation, seededRandom } from '../src/base/random.js'
import type { QuestionRecord } from '../src/base/record.js'
import { recordKey } from '../src/base/record.js'
import { letterFromProbabilities, sampleLetter } from '../src/scoring/scoring.js'
import { clusteredAccuracy, wilson } from '../src/base/stats.js'
import { summarizeRun, summarizeSubject } from '../src/run/summary.js'
import { testName } from '../src/suite.js'
import { askSeed, originalOption, questionVariants, rotateQuestion, sampleCount, sampleQuestions, variantLabel } from '../src/prompt/variants.js'

const question = (index: number, answer: Letter = 'B', choices = ['w', 'x', 'y', 'z']): Question => ({ subject: 'astronomy', split: 'test', index, question: `Q${index}?`, choices, answer })

function rec(index: number, expected: Letter, given: Letter | null, extra: Partial<QuestionRecord> = {}): QuestionRecord {
  const outcome = given === null ? 'invalid' : given === expected ? 'correct' : 'wrong'
  return { subject: 'astronomy', index, expected, given, outcome, text: '', shots: 5, promptTokens: 10, evaluatedTokens: 10, completionTokens: 0, startedAt: 0, latencyMs: 1, ...extra }
}

describe('seeded randomness', () => {
  test('the same seed gives the same numbers; another seed others', () => {
    const a = seededRandom(7)
    const b = seededRandom(7)
    const xs = Array.from({ length: 5 }, () => a())
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs)
    expect(seededRandom(8)()).not.toBe(xs[0])
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true)
  })

  test('uniform: 100,000 draws fill ten bins evenly (chi-square far below its 0.1% critical value 27.9)', () => {
    const r = seededRandom(1)
    const bins = new Array(10).fill(0)
    for (let i = 0; i < 100_000; i++) bins[Math.floor(r() * 10)]++
    const chi2 = bins.reduce((s, n) => s + (n - 10_000) ** 2 / 10_000, 0)
    expect(chi2).toBeLessThan(27.9)
  })

  test('derived seeds are 31-bit, stable, and differ for neighbouring names', () => {
    expect(deriveSeed(42, 'ask', 'astronomy', 3, 1, 0)).toBe(deriveSeed(42, 'ask', 'astronomy', 3, 1, 0))
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(42, 'x', i)))
    expect(seeds.size).toBe(1000)
    expect([...seeds].every((s) => Number.isInteger(s) && s >= 0 && s <= MAX_SEED)).toBe(true)
  })

  test('each question, trial and rotation has its own seed', () => {
    const seeds = [askSeed(42, 'astronomy', 1, { trial: 1 }), askSeed(42, 'astronomy', 1, { trial: 2 }), askSeed(42, 'astronomy', 2, { trial: 1 }), askSeed(42, 'anatomy', 1, { trial: 1 }), askSeed(42, 'astronomy', 1, { trial: 1, rotation: 1 }), askSeed(43, 'astronomy', 1, { trial: 1 })]
    expect(new Set(seeds).size).toBe(seeds.length)
  })

  test('a seeded permutation holds every index once', () => {
    const p = seededPermutation(100, 5)
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(p).not.toEqual(Array.from({ length: 100 }, (_, i) => i))
  })
})

describe('a seeded sample of a subject (MMLU_SAMPLE)', () => {
  const all = Array.from({ length: 152 }, (_, i) => question(i))

  test('the same seed gives the same questions, in file order; another seed other questions', () => {
    const a = sampleQuestions(all, 'astronomy', { count: 20 }, 42)
    expect(sampleQuestions(all, 'astronomy', { count: 20 }, 42)).toEqual(a)
    expect(a).toHaveLength(20)
    expect(a.map((q) => q.index)).toEqual([...a.map((q) => q.index)].sort((x, y) => x - y))
    expect(sampleQuestions(all, 'astronomy', { count: 20 }, 43).map((q) => q.index)).not.toEqual(a.map((q) => q.index))
    // Not the first 20 (MMLU_LIMIT's), and each subject its own draw.
    expect(a.map((q) => q.index)).not.toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(sampleQuestions(all, 'anatomy', { count: 20 }, 42).map((q) => q.index)).not.toEqual(a.map((q) => q.index))
  })

  test('a smaller sample is part of a larger one with the same seed', () => {
    const small = new Set(sampleQuestions(all, 'astronomy', { count: 10 }, 42).map((q) => q.index))
    const large = new Set(sampleQuestions(all, 'astronomy', { count: 50 }, 42).map((q) => q.index))
    expect([...small].every((i) => large.has(i))).toBe(true)
  })

  test('a count or a fraction, rounded, at least one, at most the subject', () => {
    expect(sampleCount({ count: 20 }, 152)).toBe(20)
    expect(sampleCount({ count: 500 }, 152)).toBe(152)
    expect(sampleCount({ fraction: 0.1 }, 152)).toBe(15)
    expect(sampleCount({ fraction: 0.001 }, 152)).toBe(1)
    expect(sampleQuestions(all, 'astronomy', { fraction: 0.25 }, 1)).toHaveLength(38)
  })

  test('every question is equally likely: over 2,000 seeds each of 20 questions is drawn about a quarter of the time', () => {
    const twenty = all.slice(0, 20)
    const counts = new Array(20).fill(0)
    for (let seed = 0; seed < 2000; seed++) for (const q of sampleQuestions(twenty, 'astronomy', { count: 5 }, seed)) counts[q.index]++
    // Binomial(2000, 1/4): sd ≈ 19.4, so ±80 is more than four sd.
    for (const n of counts) expect(Math.abs(n - 500)).toBeLessThan(80)
  })
})

describe('rotated options (MMLU_ROTATE)', () => {
  test('over the four rotations the key sits once under each letter; the text and the options travel together', () => {
    const q = question(3, 'B', ['Mars', 'Venus', 'Earth', 'Jupiter'])
    const rotated = [0, 1, 2, 3].map((r) => rotateQuestion(q, r))
    expect(rotated.map((x) => x.answer)).toEqual(['B', 'C', 'D', 'A'])
    expect(rotated[1]!.choices).toEqual(['Jupiter', 'Mars', 'Venus', 'Earth'])
    for (const x of rotated) {
      expect(x.question).toBe(q.question)
      expect(x.choices[['A', 'B', 'C', 'D'].indexOf(x.answer)]).toBe('Venus')
    }
    expect(rotated[0]).toBe(q)
  })

  test('a letter given under a rotation maps back to the option as written', () => {
    const q = question(0, 'A', ['p', 'q', 'r', 's'])
    for (let r = 0; r < 4; r++) {
      const asked = rotateQuestion(q, r)
      for (let i = 0; i < 4; i++) {
        const letter = (['A', 'B', 'C', 'D'] as const)[i]!
        expect(q.choices[originalOption(letter, r, 4)]).toBe(asked.choices[i])
      }
    }
  })

  test('a question of your own with n options has n rotations', () => {
    const q = question(0, 'A', ['a', 'b', 'c', 'd', 'e', 'f'])
    expect(questionVariants({ trials: 1, rotate: true }, 6).map((v) => v.rotation)).toEqual([0, 1, 2, 3, 4, 5])
    expect(new Set([0, 1, 2, 3, 4, 5].map((r) => rotateQuestion(q, r).answer)).size).toBe(6)
  })

  test("a test's name says which ask it is, so the UI shows it; a plain ask's name is as before", () => {
    const q = question(12)
    expect(testName(q)).toBe('#12 Q12?')
    expect(testName(q, variantLabel({ trial: 2, rotation: 1 }, 5))).toBe('#12 (trial 2/5, rotation +1) Q12?')
    expect(testName(q, variantLabel({ rotation: 0 }, 1))).toBe('#12 (rotation +0) Q12?')
  })

  test('variants: none for a plain run, trial × rotation otherwise, and each its own record key', () => {
    expect(questionVariants({ trials: 1, rotate: false }, 4)).toEqual([{}])
    const vs = questionVariants({ trials: 2, rotate: true }, 4)
    expect(vs).toHaveLength(8)
    expect(new Set(vs.map((v) => recordKey({ subject: 's', index: 1, ...v }))).size).toBe(8)
    expect(recordKey({ subject: 's', index: 1 })).toBe('s#1')
    expect(recordKey({ subject: 's', index: 1, trial: 2, rotation: 3 })).toBe('s#1/t2/r3')
  })
})

describe('a letter drawn at a temperature (log-prob scoring, MMLU_TEMPERATURE > 0)', () => {
  const p = { A: 0.1, B: 0.6, C: 0.2, D: 0.1 }

  test('the same seed draws the same letter; the draws follow p^(1/T) renormalised', () => {
    expect(sampleLetter(p, 1, 123)).toEqual(sampleLetter(p, 1, 123))
    for (const t of [1, 0.5, 2]) {
      const counts: Record<string, number> = { A: 0, B: 0, C: 0, D: 0 }
      const n = 20_000
      for (let seed = 0; seed < n; seed++) counts[sampleLetter(p, t, deriveSeed(9, seed)).letter!]!++
      const w = Object.values(p).map((x) => x ** (1 / t))
      const z = w.reduce((a, b) => a + b, 0)
      ;(['A', 'B', 'C', 'D'] as const).forEach((l, i) => {
        const expected = w[i]! / z
        // Four binomial standard deviations.
        expect(Math.abs(counts[l]! / n - expected), `${l} at T=${t}`).toBeLessThan(4 * Math.sqrt((expected * (1 - expected)) / n))
      })
    }
  })

  test('a very low temperature gives the argmax; a letter without probability is never drawn', () => {
    for (let seed = 0; seed < 200; seed++) expect(sampleLetter(p, 0.01, seed).letter).toBe('B')
    for (let seed = 0; seed < 200; seed++) expect(sampleLetter({ A: 0, B: 0.5, C: 0.5, D: 0 }, 1, seed).letter).toMatch(/[BC]/)
  })

  test('unusable probabilities are invalid for the same reason as without sampling', () => {
    expect(sampleLetter({ A: NaN, B: 0.5, C: 0.2, D: 0.1 }, 1, 1)).toEqual(letterFromProbabilities({ A: NaN, B: 0.5, C: 0.2, D: 0.1 }))
    expect(sampleLetter({ A: 0, B: 0, C: 0, D: 0 }, 1, 1).letter).toBeNull()
  })
})

describe('the spread across trials', () => {
  // Three questions, four trials. Keys: q0 A, q1 B, q2 C.
  //   q0: A A A B  → right 3/4; majority A (right); agreement 3/4; not unanimous
  //   q1: B C C B  → right 2/4; tie B/C: the key is one of two → 1/2; agreement 2/4
  //   q2: C C C C  → right 4/4; majority C; agreement 1; unanimous
  const given: Record<number, (Letter | null)[]> = { 0: ['A', 'A', 'A', 'B'], 1: ['B', 'C', 'C', 'B'], 2: ['C', 'C', 'C', 'C'] }
  const keys: Letter[] = ['A', 'B', 'C']
  const records = [0, 1, 2].flatMap((q) => given[q]!.map((g, t) => rec(q, keys[q]!, g, { trial: t + 1 })))

  test('per-trial accuracy, mean, min, max and sample sd; majority vote with a tie counted at half; agreement; unanimity', () => {
    const s = trialSpread(records)!
    // Trial 1: A✓ B✓ C✓ = 3/3; 2: A✓ C✗ C✓ = 2/3; 3: A✓ C✗ C✓ = 2/3; 4: B✗ B✓ C✓ = 2/3.
    expect(s.accuracies).toEqual([1, 2 / 3, 2 / 3, 2 / 3])
    expect(s.mean).toBeCloseTo(0.75, 12)
    expect([s.min, s.max]).toEqual([2 / 3, 1])
    // Sample sd of (1, 2/3, 2/3, 2/3): deviations (1/4, −1/12 ×3) → √((1/16 + 3/144) / 3) = 1/6.
    expect(s.sd).toBeCloseTo(1 / 6, 12)
    expect(s.majority).toBeCloseTo((1 + 0.5 + 1) / 3, 12)
    expect(s.agreement).toBeCloseTo((3 / 4 + 2 / 4 + 1) / 3, 12)
    expect(s.unanimous).toBeCloseTo(1 / 3, 12)
    expect([s.trials, s.questions]).toEqual([4, 3])
  })

  test('agreement is over valid letters only: no letter never agrees, a question with fewer than two letters does not count as agreeing; the no-letter share beside it (issue 21 item 4)', () => {
    // Five trials each. Keys all A. "–" is no letter (invalid), "E" an error.
    //   q0: – – – – –  → no valid letter: not agreeing (today: unanimous on "no answer")
    //   q1: A – – – E  → one valid letter: not agreeing
    //   q2: B B – B –  → three valid, all B: unanimous; agreement 3/3
    //   q3: A A B – –  → three valid, two agree: agreement 2/3, not unanimous
    const asked: (Letter | null | 'E')[][] = [[null, null, null, null, null], ['A', null, null, null, 'E'], ['B', 'B', null, 'B', null], ['A', 'A', 'B', null, null]]
    const rs = asked.flatMap((answers, q) =>
      answers.map((g, t) => (g === 'E' ? rec(q, 'A', null, { trial: t + 1, outcome: 'error', error: 'timeout' }) : rec(q, 'A', g, { trial: t + 1 }))),
    )
    const s = trialSpread(rs)!
    expect(s.unanimous).toBeCloseTo(1 / 4, 12)
    expect(s.agreement).toBeCloseTo((0 + 0 + 1 + 2 / 3) / 4, 12)
    // The error is no answer of the model's and is left out (issue 25 item 6): 12 of the
    // 19 answers gave no letter (5 + 3 + 2 + 2 invalid).
    expect(s.noLetter).toBeCloseTo(12 / 19, 12)
    // The all-invalid run of the issue: every text differs, none a letter.
    const texts = [0, 1, 2].flatMap((q) => [1, 2, 3].map((t) => rec(q, 'A', null, { trial: t, text: `text ${q}/${t}` })))
    expect(trialSpread(texts)).toMatchObject({ unanimous: 0, agreement: 0, noLetter: 1 })
  })

  test('no letter and errors vote as "no answer", which is never right', () => {
    const rs = [rec(0, 'A', null, { trial: 1 }), rec(0, 'A', null, { trial: 2 }), rec(0, 'A', 'A', { trial: 3 })]
    expect(trialSpread(rs)!.majority).toBe(0)
  })

  test('identical trials (greedy): every trial the same accuracy, sd 0, every question unanimous and agreeing', () => {
    // Three questions, keys A B C; each asked five times with the same answer: A, C, C → 2 of 3 right in every trial.
    const rs = [0, 1, 2].flatMap((q) => [1, 2, 3, 4, 5].map((t) => rec(q, keys[q]!, (['A', 'C', 'C'] as const)[q]!, { trial: t })))
    expect(trialSpread(rs)).toMatchObject({ accuracies: [2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3], min: 2 / 3, max: 2 / 3, sd: 0, unanimous: 1, agreement: 1, majority: 2 / 3 })
  })

  test('a run without trials has no spread', () => {
    expect(trialSpread([rec(0, 'A', 'A')])).toBeUndefined()
  })
})

describe('rotation figures', () => {
  test('an always-C model on four questions: right exactly once each, circular 0, consistency 0, per rotation the share of keys landing on C', () => {
    const keys: Letter[] = ['A', 'C', 'C', 'D']
    const records = keys.flatMap((k, i) => [0, 1, 2, 3].map((r) => rec(i, rotateQuestion(question(i, k), r).answer, 'C', { rotation: r })))
    const s = rotationSummary(records)!
    expect(records.filter((r) => r.outcome === 'correct')).toHaveLength(4)
    // Under rotation r the key lands on C when it was written at (2 − r) mod 4: C, B, A, D.
    expect(s.accuracies).toEqual([2 / 4, 0, 1 / 4, 1 / 4])
    expect(s).toMatchObject({ rotations: 4, questions: 4, incomplete: 0, circular: 0, consistency: 0 })
  })

  test('a model that knows the option is right and consistent under every rotation', () => {
    const records = [0, 1, 2, 3].map((r) => {
      const asked = rotateQuestion(question(0, 'B'), r)
      return rec(0, asked.answer, asked.answer, { rotation: r })
    })
    expect(rotationSummary(records)).toMatchObject({ circular: 1, consistency: 1, accuracies: [1, 1, 1, 1] })
  })

  test('the same wrong option under every rotation is consistent but not circular; a rotation not asked leaves the question out', () => {
    // Key B as written; the model always picks the option written first ("w"), whatever letter it sits under.
    const consistent = [0, 1, 2, 3].map((r) => rec(0, rotateQuestion(question(0, 'B'), r).answer, (['A', 'B', 'C', 'D'] as const)[r]!, { rotation: r }))
    const missing = [0, 1, 2].map((r) => rec(1, rotateQuestion(question(1, 'B'), r).answer, 'A', { rotation: r }))
    const s = rotationSummary([...consistent, ...missing])!
    expect(s).toMatchObject({ questions: 1, incomplete: 1, circular: 0, consistency: 1 })
  })
})

describe('intervals count each question once', () => {
  test('N identical asks give the interval of one ask: wilson(k, questions)', () => {
    const once = [true, false, true, true, false, false, true, false, true, true].map((right) => ({ correct: right ? 1 : 0, total: 1 }))
    const fiveTimes = once.map((t) => ({ correct: t.correct * 5, total: 5 }))
    const w = wilson(6, 10)
    for (const tallies of [once, fiveTimes]) {
      const c = clusteredAccuracy(tallies)
      expect(c.accuracy).toBeCloseTo(0.6, 12)
      expect(c.effectiveN).toBeCloseTo(10, 9)
      expect(c.ci95.low).toBeCloseTo(w.low, 9)
      expect(c.ci95.high).toBeCloseTo(w.high, 9)
    }
    // Treating the 50 asks as independent would claim a far narrower interval.
    expect(wilson(30, 50).high - wilson(30, 50).low).toBeLessThan(w.high - w.low - 0.1)
  })

  test('the ratio estimator by hand: clusters (2 of 4, 4 of 4, 0 of 4, 3 of 4)', () => {
    const c = clusteredAccuracy([
      { correct: 2, total: 4 },
      { correct: 4, total: 4 },
      { correct: 0, total: 4 },
      { correct: 3, total: 4 },
    ])
    // p = 9/16; residuals k − p·n = 2 − 2.25, 4 − 2.25, 0 − 2.25, 3 − 2.25 → squares .0625, 3.0625, 5.0625, .5625 = 8.75; Var = 8.75 / 256.
    expect(c.accuracy).toBe(9 / 16)
    expect(c.stderr).toBeCloseTo(Math.sqrt(8.75 / 256), 12)
    expect(c.effectiveN).toBeCloseTo(((9 / 16) * (7 / 16)) / (8.75 / 256), 9)
    const w = wilson((9 / 16) * c.effectiveN, c.effectiveN)
    expect(c.ci95).toEqual(w)
  })

  test('every question right or every question wrong: the number of questions stands in', () => {
    expect(clusteredAccuracy([{ correct: 4, total: 4 }, { correct: 4, total: 4 }]).ci95).toEqual(wilson(2, 2))
    expect(clusteredAccuracy([{ correct: 0, total: 4 }, { correct: 0, total: 4 }]).ci95).toEqual(wilson(0, 2))
  })

  test('summaries use it with trials, and stay as they were without', () => {
    const plain = [rec(0, 'A', 'A'), rec(1, 'A', 'B'), rec(2, 'A', 'A')]
    expect(summarizeSubject('astronomy', plain, 0).ci95).toEqual(wilson(2, 3))
    expect(summarizeSubject('astronomy', plain, 0).trials).toBeUndefined()
    const trials = plain.flatMap((r) => [1, 2, 3].map((trial) => ({ ...r, trial })))
    const s = summarizeSubject('astronomy', trials, 0)
    expect([s.correct, s.total, s.questionsAsked]).toEqual([6, 9, 3])
    expect(s.ci95.low).toBeCloseTo(wilson(2, 3).low, 9)
    expect(s.ci95.high).toBeCloseTo(wilson(2, 3).high, 9)
    const run = summarizeRun([s], trials, 1000)
    expect(run.microCi95.low).toBeCloseTo(wilson(2, 3).low, 9)
    expect(run.trials).toMatchObject({ trials: 3, majority: 2 / 3, unanimous: 1 })
  })
})
