import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { SUBJECT_NAMES, subjectFilterHints, TOTAL_TEST_QUESTIONS } from '../src/dataset/subjects.js'

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

describe('a file filter that matches no subject', () => {
  test('names the closest subjects; filters that matched, or are not about subjects, say nothing', () => {
    const ran = ['evals/astronomy.eval.ts']
    expect(subjectFilterHints(['evals/astronmy'], [])).toEqual(['evals/astronmy matches no subject file: did you mean evals/astronomy?'])
    expect(subjectFilterHints(['./evals/astronmy.eval.ts'], [])).toEqual(['./evals/astronmy.eval.ts matches no subject file: did you mean evals/astronomy?'])
    // Vitest runs what the other filters matched and says nothing of this one.
    expect(subjectFilterHints(['evals/astronomy', 'evals/busines_ethic'], ran)).toEqual(['evals/busines_ethic matches no subject file: did you mean evals/business_ethics?'])
    expect(subjectFilterHints(['evals/physic'], [])).toEqual(['evals/physic matches no subject file: did you mean evals/college_physics, evals/conceptual_physics, evals/high_school_physics?'])
    expect(subjectFilterHints(['evals/zzzz'], [])).toEqual(['evals/zzzz matches no subject file: the 57 subjects are the files in evals/ (src/dataset/subjects.ts lists them).'])
    expect(subjectFilterHints(['astronmy'], [])).toEqual(['astronmy matches no subject file: did you mean evals/astronomy?'])
    expect(subjectFilterHints(['evals/astro', 'evals/', 'EVALS/ASTRONOMY'], ran)).toEqual([])
    // A subject file that did not run (its global setup failed) was still no typo.
    expect(subjectFilterHints(['evals/astronomy', 'business_ethics'], [])).toEqual([])
    expect(subjectFilterHints(['test/nothing.test.ts', 'zzzz'], [])).toEqual([])
  })

  // The run itself (alone, or beside a filter that matched): test/user-errors.test.ts.
})
