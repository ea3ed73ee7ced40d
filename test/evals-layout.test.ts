import { readdirSync, readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { SUBJECT_NAMES, TOTAL_TEST_QUESTIONS } from '../src/dataset/subjects.js'

test('evals/ holds exactly one file per MMLU subject, each defining that subject', () => {
  const files = readdirSync('evals').filter((f) => f.endsWith('.eval.ts'))
  expect(files.map((f) => f.replace(/\.eval\.ts$/, '')).sort()).toEqual([...SUBJECT_NAMES].sort())
  for (const f of files) {
    const subject = f.replace(/\.eval\.ts$/, '')
    expect(readFileSync(`evals/${f}`, 'utf8'), f).toContain(`defineSubject('${subject}')`)
  }
  expect(SUBJECT_NAMES).toHaveLength(57)
  expect(TOTAL_TEST_QUESTIONS).toBe(14_042)
})
