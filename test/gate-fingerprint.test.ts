// Data fingerprints and prompt hashes: what the baseline gate compares before
// pairing two runs, and what a download can be verified against.
import { createHash } from 'node:crypto'
import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { describe, expect, test } from 'vitest'
import { knownExpectations } from '../src/dataset/download.js'
import { fingerprintQuestions, fingerprintText } from '../src/dataset/fingerprint.js'
import { loadSplit, loadSubject } from '../src/dataset/load.js'
import type { Question } from '../src/dataset/question.js'
import { SUBJECT_NAMES } from '../src/dataset/subjects.js'
import { promptHash, subjectInputs } from '../src/prompt/inputs.js'
import { FIXTURE_DATA_DIR, FIXTURE_ORIGINAL_DATA_DIR, HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { writeOriginalDialect } from './helpers/dialect.js'

const PARTIAL = { allowPartial: true }

/** The documented definition, recomputed from the raw CSV with csv-parse, not through our reader. */
async function independentFingerprint(hfFile: string): Promise<string> {
  const rows = parse(await readFile(hfFile), { bom: true }) as string[][]
  rows.shift()
  const hash = createHash('sha256')
  for (const [q, a, b, c, d, answer] of rows) hash.update(`${JSON.stringify([q, a, b, c, d, 'ABCD'[Number(answer)]])}\n`)
  return `sha256:${hash.digest('hex')}`
}

describe('data fingerprint', () => {
  test.each(['astronomy', 'business_ethics'])('%s: both dialects give one fingerprint, equal to the documented definition', async (subject) => {
    for (const split of ['dev', 'test'] as const) {
      const hf = await loadSplit(FIXTURE_DATA_DIR, subject, split, PARTIAL)
      const original = await loadSplit(FIXTURE_ORIGINAL_DATA_DIR, subject, split, PARTIAL)
      const expected = await independentFingerprint(path.join(FIXTURE_DATA_DIR, split, `${subject}_${split}.csv`))
      expect(fingerprintQuestions(hf)).toBe(expected)
      expect(fingerprintQuestions(original)).toBe(expected)
    }
  })

  // Pinned from Python's csv and json modules (json.dumps(row, ensure_ascii=False, separators=(',', ':'))).
  test('the fixture astronomy test split has a pinned fingerprint (the definition must not drift)', async () => {
    const questions = await loadSplit(FIXTURE_DATA_DIR, 'astronomy', 'test', PARTIAL)
    expect(fingerprintQuestions(questions)).toBe('sha256:801b74388369776ba64ad0bf9e1a928bea23d5da93d6cda47c822b5f53d45f95')
  })

  test('any change of content, answer or order changes it; the empty list has the hash of no bytes', async () => {
    const questions = await loadSplit(FIXTURE_DATA_DIR, 'astronomy', 'test', PARTIAL)
    const base = fingerprintQuestions(questions)
    const edited = (i: number, change: Partial<Question>) => questions.map((q, j) => (j === i ? { ...q, ...change } : q))
    const variants = [
      edited(0, { question: `${questions[0]!.question} ` }), // a trailing space is content
      edited(1, { choices: ['Saturn', 'Mercury', 'Mars', 'Venus.'] }),
      edited(2, { answer: 'D' }),
      edited(3, { question: questions[3]!.question.replace(/ /, '\r\n') }), // line endings are content
      [questions[1]!, questions[0]!, ...questions.slice(2)],
      questions.slice(0, -1),
    ]
    const fingerprints = variants.map(fingerprintQuestions)
    for (const f of fingerprints) expect(f).not.toBe(base)
    expect(new Set(fingerprints).size).toBe(variants.length)
    expect(fingerprintQuestions([])).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(fingerprintText('')).toBe(fingerprintQuestions([]))
  })

  test.skipIf(!HAS_REAL_DATA)('real astronomy test split: the HF export and its original-dialect rewrite fingerprint alike', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-fp-'))
    await writeOriginalDialect(REAL_DATA_DIR, dir, ['astronomy'])
    const hf = await loadSplit(REAL_DATA_DIR, 'astronomy', 'test')
    const original = await loadSplit(dir, 'astronomy', 'test')
    expect(hf).toHaveLength(152)
    expect(fingerprintQuestions(original)).toBe(fingerprintQuestions(hf))
    expect(fingerprintQuestions(hf)).toBe(await independentFingerprint(path.join(REAL_DATA_DIR, 'test', 'astronomy_test.csv')))
  })
})

// The table a download is verified against (src/dataset/known-fingerprints.ts, with the canonical counts of
// src/dataset/subjects.ts), checked against the real data, recomputed from the raw CSVs with csv-parse.
test.skipIf(!HAS_REAL_DATA)('real data: every subject\'s question counts and fingerprints equal the shipped table', async () => {
  const expected = knownExpectations()
  expect([...expected.keys()]).toEqual(SUBJECT_NAMES)
  for (const subject of SUBJECT_NAMES) {
    const actual = { test: { count: 0, fingerprint: '' }, dev: { count: 0, fingerprint: '' } }
    for (const split of ['test', 'dev'] as const) {
      const file = path.join(REAL_DATA_DIR, split, `${subject}_${split}.csv`)
      actual[split] = { count: (parse(await readFile(file), { bom: true }) as unknown[]).length - 1, fingerprint: await independentFingerprint(file) }
    }
    expect(actual, subject).toEqual(expected.get(subject))
  }
})

describe('prompt hash', () => {
  test('depends on the subject, the shots and the few-shot examples, not on the test questions or the dialect', async () => {
    const hf = await loadSubject(FIXTURE_DATA_DIR, 'astronomy', PARTIAL)
    const original = await loadSubject(FIXTURE_ORIGINAL_DATA_DIR, 'astronomy', PARTIAL)
    const h5 = promptHash('astronomy', hf.dev, 5)
    expect(h5).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(promptHash('astronomy', original.dev, 5)).toBe(h5)
    expect(promptHash('astronomy', hf.dev, 4)).not.toBe(h5)
    expect(promptHash('anatomy', hf.dev, 5)).not.toBe(h5)
    const otherExample = hf.dev.map((q, i) => (i === 4 ? { ...q, choices: [q.choices[0], q.choices[1], q.choices[2], `${q.choices[3]}!`] as Question['choices'] } : q))
    expect(promptHash('astronomy', otherExample, 5)).not.toBe(h5)
    // 0-shot: no example is in the prompt, so editing one changes nothing.
    expect(promptHash('astronomy', otherExample, 0)).toBe(promptHash('astronomy', hf.dev, 0))

    const inputs = subjectInputs('astronomy', hf.dev, hf.test, 5)
    expect(inputs).toEqual({ shots: 5, promptHash: h5, dataFingerprint: fingerprintQuestions(hf.test) })
    expect(subjectInputs('astronomy', hf.dev, hf.test.slice(0, 3), 5).promptHash).toBe(h5)
  })
})
