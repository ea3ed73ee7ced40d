// The baseline gate with trials and rotated options: asks are paired trial
// with trial and rotation with rotation, N asks of one question do not count
// as N independent pairs, and runs that sampled or rotated differently are
// refused with the reason.
import { describe, expect, test } from 'vitest'
import type { BaselineComparison, BaselineRefusal } from '../src/analysis/paired.js'
import { compareWithBaseline } from '../src/analysis/paired.js'
import { parseResultsFile } from '../src/run/results-read.js'
import { mcnemarExact } from '../src/base/stats.js'
import type { Outcome, QuestionRecord, ResultsFile, SubjectInputs } from '../src/run/results.js'
import { summarizeRun, summarizeSubject } from '../src/run/summary.js'
import { fakeRun, record } from './helpers/gate-runs.js'

/** A run of one subject where question i's trial t has outcomes[i][t]; inputs as the suite records them. */
function trialsRun(outcomes: Outcome[][], inputs: Partial<SubjectInputs> = {}): ResultsFile {
  const run = fakeRun({ astronomy: { total: outcomes.length, correct: 0 } }, { inputs: { astronomy: { trials: outcomes[0]!.length, seed: 42, ...inputs } } })
  const records: QuestionRecord[] = outcomes.flatMap((trials, i) => trials.map((o, t) => ({ ...record('astronomy', i, o), trial: t + 1 })))
  const subjects = [summarizeSubject('astronomy', records, 10)]
  return { ...run, records, subjects, summary: summarizeRun(subjects, records, 100) }
}

const compared = (r: BaselineComparison | BaselineRefusal): BaselineComparison => {
  if (r.kind !== 'compared') throw new Error(`refused: ${r.reasons.join('; ')}`)
  return r
}
const refusal = (r: BaselineComparison | BaselineRefusal): string[] => {
  if (r.kind !== 'refused') throw new Error('expected a refusal')
  return r.reasons
}

describe('trials are paired trial with trial', () => {
  test('five identical trials of 8 flipped questions are 8 flips of evidence, not 40: the p-value is the one-trial run\'s', () => {
    // 30 questions: 8 right → wrong, 22 unchanged; at temperature 0 every trial repeats the first.
    const before = Array.from({ length: 30 }, (): Outcome => 'correct')
    const after = before.map((o, i): Outcome => (i < 8 ? 'wrong' : o))
    const five = (os: Outcome[]) => os.map((o) => [o, o, o, o, o])
    const c = compared(compareWithBaseline(trialsRun(five(before)), trialsRun(five(after)), 'base.json', { alpha: 0.05 }))
    const s = c.subjects[0]!
    expect(s).toMatchObject({ n: 150, rightToWrong: 40, wrongToRight: 0, questions: { n: 30, worse: 8, better: 0 } })
    expect(s.pValue).toBe(mcnemarExact(8, 0))
    // Counting the 40 flipped asks as independent would claim p = 2^-39.
    expect(mcnemarExact(40, 0)).toBeLessThan(1e-11)
    expect(s.pValue).toBeCloseTo(2 / 256, 12)
    expect(c.overall.pValue).toBe(mcnemarExact(8, 0))
    expect(c.rightToWrong).toHaveLength(40)
    expect(c.rightToWrong[0]).toMatchObject({ subject: 'astronomy', index: 0, trial: 1 })
    expect(c.rightToWrong[1]).toMatchObject({ index: 0, trial: 2 })
  })

  test('a question that got worse in some trials and better in others counts by its net change', () => {
    // q0: RRR → WWR (net −2: worse); q1: WWW → RWW (net +1: better); q2: RWR → WRR (net 0: unchanged).
    const before: Outcome[][] = [
      ['correct', 'correct', 'correct'],
      ['wrong', 'wrong', 'wrong'],
      ['correct', 'wrong', 'correct'],
    ]
    const after: Outcome[][] = [
      ['wrong', 'wrong', 'correct'],
      ['correct', 'wrong', 'wrong'],
      ['wrong', 'correct', 'correct'],
    ]
    const s = compared(compareWithBaseline(trialsRun(before), trialsRun(after), 'base.json', { alpha: 0.05 })).subjects[0]!
    expect(s).toMatchObject({ n: 9, rightToWrong: 3, wrongToRight: 2, baselineCorrect: 5, currentCorrect: 4, questions: { n: 3, worse: 1, better: 1 } })
    expect(s.pValue).toBe(1)
    expect(s.drop).toBeCloseTo(1 / 9, 12)
  })

  test('a default run (one ask per question) is tested exactly as before, without a question count', () => {
    const c = compared(compareWithBaseline(fakeRun({ astronomy: { correct: 20, total: 30 } }), fakeRun({ astronomy: { correct: 12, total: 30 } }), 'b.json', { alpha: 0.05 }))
    expect(c.subjects[0]!.questions).toBeUndefined()
    expect(c.subjects[0]!.pValue).toBe(mcnemarExact(8, 0))
  })

  test('different trials, temperatures or rotation are refused with the reason', () => {
    const os: Outcome[][] = [['correct', 'wrong', 'correct']]
    expect(refusal(compareWithBaseline(trialsRun(os), trialsRun([['correct', 'wrong']]), 'b.json', { alpha: 0.05 })).join('\n')).toMatch(/different trials \(baseline 3, this run 2 per question\)/)
    expect(refusal(compareWithBaseline(trialsRun(os, { temperature: 0.7 }), trialsRun(os), 'b.json', { alpha: 0.05 })).join('\n')).toMatch(/different sampling \(baseline temperature 0\.7, this run 0\)/)
    const rotated = fakeRun({ astronomy: { correct: 2, total: 4 } }, { inputs: { astronomy: { rotate: true, promptHash: 'sha256:rotated' } } })
    const reasons = refusal(compareWithBaseline(fakeRun({ astronomy: { correct: 2, total: 4 } }), rotated, 'b.json', { alpha: 0.05 }))
    expect(reasons).toEqual([expect.stringMatching(/astronomy: this run rotates the options \(MMLU_ROTATE=on\) and the baseline does not: a rotated run is never paired with an unrotated one/)])
    // Trials of the same temperature with another seed are paired: each question's sign is symmetric under no change.
    expect(compareWithBaseline(trialsRun(os, { temperature: 0.7, seed: 1 }), trialsRun(os, { temperature: 0.7, seed: 2 }), 'b.json', { alpha: 0.05 }).kind).toBe('compared')
  })

  test('a results file with trials and rotations reads back; a bad trial number is refused', () => {
    const run = trialsRun([['correct', 'wrong']])
    expect(parseResultsFile(JSON.stringify(run), 'r.json').records[1]).toMatchObject({ trial: 2 })
    const bad = { ...run, records: [{ ...run.records[0], trial: 'two' }] }
    expect(() => parseResultsFile(JSON.stringify(bad), 'r.json')).toThrow(/record 0 is not a question record/)
  })
})

describe('npm run compare with trials', () => {
  test('agreement pairs trial with trial; the category test counts questions, as the gate does', async () => {
    const { compareRuns } = await import('../src/analysis/compare.js')
    const before = Array.from({ length: 30 }, (): Outcome => 'correct')
    const after = before.map((o, i): Outcome => (i < 8 ? 'wrong' : o))
    const five = (os: Outcome[]) => os.map((o) => [o, o, o, o, o])
    const [a, b] = [trialsRun(five(before)), trialsRun(five(after))]
    const result = compareRuns([
      { label: 'a', file: 'a.json', results: a },
      { label: 'b', file: 'b.json', results: b },
    ])
    const pair = result.pairs[0]!
    if (pair.kind !== 'compared') throw new Error(pair.reasons.join('; '))
    // 22 unchanged questions × 5 trials agree letter for letter; the 40 flipped asks do not.
    expect(pair.overall.agreed).toBe(110)
    expect(pair.categories[0]!.pValue).toBe(mcnemarExact(8, 0))
    // Trials that answer differently from each other: each is compared with its own trial, not another.
    const alternating = Array.from({ length: 30 }, () => [1, 2, 3, 4, 5].map((t): Outcome => (t % 2 ? 'correct' : 'wrong')))
    const same = compareRuns([
      { label: 'a', file: 'a.json', results: trialsRun(alternating) },
      { label: 'b', file: 'b.json', results: trialsRun(alternating) },
    ]).pairs[0]!
    if (same.kind !== 'compared') throw new Error(same.reasons.join('; '))
    expect(same.overall.agreed).toBe(150)
  })
})

describe('flips of rotated asks name the options as they were shown', () => {
  test('under rotation +1 the key B of the question as written is letter C, and the text follows', async () => {
    const { formatFlipWithText } = await import('../reporters/render/compare.js')
    const question = { subject: 'astronomy', split: 'test' as const, index: 3, question: 'Which planet is largest?', choices: ['Mars', 'Jupiter', 'Venus', 'Earth'], answer: 'B' as const }
    const texts = new Map([['astronomy', { questions: [question], dir: '.' }]])
    const line = formatFlipWithText({ subject: 'astronomy', index: 3, expected: 'C', before: 'C', after: 'A', rotation: 1, trial: 2, direction: 'right→wrong' }, texts, 'a', 'b')
    // Rotated by one, the options read Earth, Mars, Jupiter, Venus.
    expect(line).toBe('astronomy #3/t2/r1 · key C (Jupiter) · a C → b A (Earth) · Which planet is largest?')
  })
})
