// Options that point at other options by position (issue 21 item 6): rotating
// them changes their meaning, so under MMLU_ROTATE=on such questions are kept
// as written. The detector against hand-written options, the rotation plan,
// and its count on the real MMLU test split.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { rotationSummary } from '../src/analysis/rotation.js'
import { parseSplitFile } from '../src/dataset/csv.js'
import type { Letter } from '../src/dataset/question.js'
import { hasOptionReferences, refersToOptions } from '../src/prompt/option-references.js'
import type { QuestionRecord } from '../src/base/record.js'
import { questionVariants } from '../src/prompt/variants.js'
import { HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'

describe('an option that points at other options by position', () => {
  test.each([
    'All of the above',
    'all of the above.',
    'None of the above',
    'none of above.',
    'Both of the above are true.',
    'Any 2 of the above values',
    'Moons contribute to all of the above.',
    'All of the below.',
    'A and D',
    'Both A and C.',
    'both (A) and (C)',
    'A, B, and C',
    '(A), (B), and (C)',
    'B and C only',
    'Both A & C',
    'Neither A nor B',
    'either A or B',
    'Only A',
  ])('%s', (option) => expect(refersToOptions(option)).toBe(true))
})

describe('an option that does not', () => {
  test.each([
    // the other options as a set, whatever their order
    'None of these',
    'Both of these',
    'All of these options.',
    // the question's statements, not its options
    'I and II only',
    'Neither of the statements are correct',
    'All of the above statements are true',
    'None of the above information is relevant',
    // words that happen to be letters or positions
    'Vitamin A',
    'a and b are both even',
    'The following day, the victim paid the defendant.',
    'the previous year',
    'Above the clouds',
    'Plan A or plan B',
  ])('%s', (option) => expect(refersToOptions(option)).toBe(false))
})

describe('rotation plan', () => {
  test('a question with such an option is asked as written only; the others under every rotation', () => {
    const choices = ['x', 'y', 'z', 'All of the above']
    expect(hasOptionReferences(choices)).toBe(true)
    expect(questionVariants({ trials: 1, rotate: true }, 4, !hasOptionReferences(choices))).toEqual([{}])
    expect(questionVariants({ trials: 2, rotate: true }, 4, false)).toEqual([{ trial: 1 }, { trial: 2 }])
    expect(questionVariants({ trials: 1, rotate: true }, 4, !hasOptionReferences(['w', 'x', 'y', 'z'])).map((v) => v.rotation)).toEqual([0, 1, 2, 3])
  })

  test('the rotation figures leave the kept questions out and count them', () => {
    const rec = (index: number, expected: Letter, given: Letter, rotation?: number): QuestionRecord => ({
      subject: 'astronomy', index, expected, given, outcome: given === expected ? 'correct' : 'wrong', text: '', shots: 5, promptTokens: 1, evaluatedTokens: 1, completionTokens: 0, startedAt: 0, latencyMs: 1,
      ...(rotation !== undefined ? { rotation } : {}),
    })
    // Question 0 rotated (always-C: right once), questions 1 and 2 kept as written and right.
    const keys: Letter[] = ['C', 'D', 'A', 'B']
    const records = [...[0, 1, 2, 3].map((r) => rec(0, keys[r]!, 'C', r)), rec(1, 'C', 'C'), rec(2, 'A', 'A')]
    const s = rotationSummary(records)!
    expect(s).toMatchObject({ questions: 1, incomplete: 0, circular: 0, keptAsWritten: 2 })
    expect(s.accuracies).toEqual([1, 0, 0, 0])
  })
})

describe.skipIf(!HAS_REAL_DATA)('on the real MMLU test split', () => {
  test('523 of 14,042 questions have an option that points at others by position; 238 are keyed on one', () => {
    let questions = 0
    let flagged = 0
    let keyed = 0
    const dir = path.join(REAL_DATA_DIR, 'test')
    for (const file of readdirSync(dir).filter((f) => f.endsWith('_test.csv'))) {
      for (const q of parseSplitFile(readFileSync(path.join(dir, file)), file, file.replace(/_test\.csv$/, ''), 'test')) {
        questions++
        const refers = q.choices.map(refersToOptions)
        if (!refers.some(Boolean)) continue
        flagged++
        if (refers['ABCD'.indexOf(q.answer)]) keyed++
      }
    }
    expect(questions).toBe(14_042)
    expect([flagged, keyed]).toEqual([523, 238])
  })
})
