import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parseSplitFile } from '../src/dataset/csv.js'
import { DatasetError } from '../src/dataset/errors.js'
import type { SubjectSplits } from '../src/dataset/load.js'
import { listAvailableSubjects, loadSplit, loadSubject } from '../src/dataset/load.js'
import type { Letter, Question, Split } from '../src/dataset/question.js'
import type { Subject } from '../src/dataset/subjects.js'
import { SUBJECTS, SUBJECT_NAMES, suggestSubjects, TOTAL_TEST_QUESTIONS } from '../src/dataset/subjects.js'
import { writeOriginalDialect } from './helpers/dialect.js'
import { HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// Relative paths, so that error messages read like the ones users see.
const HF = path.relative(process.cwd(), path.join(ROOT, 'fixtures/mmlu/hf'))
const ORIGINAL = path.relative(process.cwd(), path.join(ROOT, 'fixtures/mmlu/original'))
const BAD = path.relative(process.cwd(), path.join(ROOT, 'fixtures/mmlu/bad'))
const PARTIAL = { allowPartial: true }

function letters(questions: readonly Question[]): string {
  return questions.map((q) => q.answer).join('')
}

function countLetters(questions: readonly Question[]): Partial<Record<Letter, number>> {
  const counts: Partial<Record<Letter, number>> = { A: 0, B: 0, C: 0, D: 0 }
  for (const q of questions) counts[q.answer] = (counts[q.answer] ?? 0) + 1
  return counts
}

/** Runs `fn` and returns the DatasetError it throws (fails the test otherwise). */
async function datasetError(fn: () => unknown): Promise<DatasetError> {
  try {
    await fn()
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError)
    return err as DatasetError
  }
  throw new Error('expected a DatasetError, nothing was thrown')
}

function parseInline(text: string, split: Split = 'test'): Question[] {
  return parseSplitFile(text, 'inline.csv', 'astronomy', split)
}

describe('fixtures: both dialects', () => {
  test.each(['astronomy', 'business_ethics'])('%s parses to identical questions in both dialects', async (subject) => {
    const hf = await loadSubject(HF, subject, PARTIAL)
    const original = await loadSubject(ORIGINAL, subject, PARTIAL)
    expect(hf.dev).toHaveLength(5)
    expect(hf.test).toHaveLength(8)
    expect(original).toEqual(hf)
  })

  test('astronomy: exact answers, quoted comma, doubled quote, multi-line question', async () => {
    const { dev, test } = await loadSubject(HF, 'astronomy', PARTIAL)
    expect(letters(dev)).toBe('ABCDB')
    expect(letters(test)).toBe('CABDCABD')
    expect(test.map((q) => q.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(test[2]).toEqual<Question>({
      subject: 'astronomy',
      split: 'test',
      index: 2,
      question: 'Which of these bodies is classed as a dwarf planet?',
      choices: ["Titan, Saturn's largest moon", 'Pluto', 'Europa', 'Ganymede'],
      answer: 'B',
    })
    expect(test[3]?.question).toBe('What kind of quantity does a "light-year" measure?')
    expect(test[4]).toEqual<Question>({
      subject: 'astronomy',
      split: 'test',
      index: 4,
      question:
        'Read the statement below.\nThe colour of a star depends mostly on the temperature of its surface.\nWhich colour belongs to the hottest stars?',
      choices: ['Red', 'Orange', 'Blue', 'Yellow'],
      answer: 'C',
    })
    expect(test[5]?.question).toBe('What is the point of its orbit where Earth is nearest to the Sun called?')
  })

  test('business_ethics: exact answers, quoted comma, doubled quote, multi-line question', async () => {
    const { dev, test } = await loadSubject(ORIGINAL, 'business_ethics', PARTIAL)
    expect(letters(dev)).toBe('ABCDC')
    expect(letters(test)).toBe('ABCDABCD')
    expect(test[1]?.choices[1]).toBe('Its employees, customers and suppliers')
    expect(test[2]?.question).toBe('In business ethics, what does "greenwashing" describe?')
    expect(test[3]?.question).toBe(
      'A manager is negotiating a contract.\nDuring the talks, a supplier sends her an expensive gift.\nWhat is the most ethical response?',
    )
    expect(test[3]?.answer).toBe('D')
  })

  test('a BOM before the header or before the first question is not part of the text', async () => {
    expect((await readFile(path.join(HF, 'test/business_ethics_test.csv'))).subarray(0, 3)).toEqual(
      Buffer.from([0xef, 0xbb, 0xbf]),
    )
    expect((await readFile(path.join(ORIGINAL, 'dev/astronomy_dev.csv'))).subarray(0, 3)).toEqual(
      Buffer.from([0xef, 0xbb, 0xbf]),
    )
    const hfTest = await loadSplit(HF, 'business_ethics', 'test', PARTIAL)
    expect(hfTest[0]?.question).toBe('What is insider trading?')
    const originalDev = await loadSplit(ORIGINAL, 'astronomy', 'dev', PARTIAL)
    expect(originalDev[0]?.question).toBe('Which planet is closest to the Sun?')
    expect(parseInline('\uFEFFQ?,a,b,c,d,A\n')[0]?.question).toBe('Q?')
  })

  test('listAvailableSubjects lists the subjects with a test file, in canonical order', async () => {
    expect(await listAvailableSubjects(HF)).toEqual(['astronomy', 'business_ethics'])
    expect(await listAvailableSubjects(ORIGINAL)).toEqual(['astronomy', 'business_ethics'])
  })

  test('a complete dev split (5 questions) needs no allowPartial', async () => {
    expect(await loadSplit(HF, 'astronomy', 'dev')).toHaveLength(5)
  })
})

describe('CSV details', () => {
  test('keeps text exactly: no trimming of the question or the choices', () => {
    const [q] = parseInline('"  Why?  ",A ,  B, C\t,D  ,A\n')
    expect(q?.question).toBe('  Why?  ')
    expect(q?.choices).toEqual(['A ', '  B', ' C\t', 'D  '])
  })

  test('CRLF files, CRLF inside a quoted field, and mixed line endings', () => {
    const questions = parseInline('One?,a,b,c,d,A\r\n"Two\r\nlines?",a,b,c,d,B\r\nThree?,a,b,c,d,C\nFour?,a,b,c,d,D\r')
    expect(questions.map((q) => q.question)).toEqual(['One?', 'Two\r\nlines?', 'Three?', 'Four?'])
    expect(letters(questions)).toBe('ABCD')
    expect(questions[0]?.choices).toEqual(['a', 'b', 'c', 'd'])
  })

  test('the other Hugging Face header (question,A,B,C,D,answer) and a trimmed answer cell', () => {
    const questions = parseInline('question,A,B,C,D,answer\nOne?,a,b,c,d, 3 \n')
    expect(questions).toEqual<Question[]>([
      { subject: 'astronomy', split: 'test', index: 0, question: 'One?', choices: ['a', 'b', 'c', 'd'], answer: 'D' },
    ])
  })

  test('blank lines are skipped, and lines are still counted right after them', async () => {
    expect(parseInline('One?,a,b,c,d,A\n\n\nTwo?,a,b,c,d,B\n\n')).toHaveLength(2)
    const err = await datasetError(() => parseInline('One?,a,b,c,d,A\n\r\n\n"Two\nlines",a,b,c,d,B\nThree?,a,b,c,d,X\n'))
    expect(err.line).toBe(6)
  })

  test('line numbers in a CRLF file with a multi-line CRLF field', async () => {
    const err = await datasetError(() => parseInline('One?,a,b,c,d,A\r\n"Two\r\nlines?",a,b,c,d,B\r\nThree?,a,b,c,d\r\n'))
    expect(err.message).toMatch(/^inline\.csv:4: expected 6 columns/)
  })

  test('a letter in a file with a header points at the dialect mix-up', async () => {
    const err = await datasetError(() => parseInline('question,choice0,choice1,choice2,choice3,answer\nOne?,a,b,c,d,B\n'))
    expect(err.line).toBe(2)
    expect(err.message).toContain('found "B"')
    expect(err.fix).toContain('remove the header row')
  })

  test('an index in a file without a header points at the dialect mix-up', async () => {
    const err = await datasetError(() => parseInline('One?,a,b,c,d,2\n'))
    expect(err.message).toContain('found "2"')
    expect(err.fix).toContain('add the header question,choice0,choice1,choice2,choice3,answer')
  })
})

describe('malformed files', () => {
  const cases: [file: string, code: DatasetError['code'], line: number | undefined, problem: string][] = [
    ['columns.csv', 'columns', 3, 'expected 6 columns (question, 4 choices, answer), found 5'],
    ['answer_e.csv', 'answer', 2, 'answer must be a letter A-D (original dialect: the file has no header), found "E"'],
    [
      'answer_index.csv',
      'answer',
      3,
      'answer must be an index 0-3 (Hugging Face dialect: the file has a header), found "4"',
    ],
    ['empty_question.csv', 'empty-question', 4, 'empty question'],
    ['multiline_columns.csv', 'columns', 5, 'expected 6 columns (question, 4 choices, answer), found 4'],
    ['unclosed_quote.csv', 'csv-syntax', 2, 'a quoted field that starts in this record is never closed'],
    ['bad_header.csv', 'header', 1, 'unrecognised header "question,a,b,c,answer"'],
    ['empty.csv', 'empty-file', undefined, 'the file is empty'],
    ['header_only.csv', 'empty-file', undefined, 'the file has a header but no questions'],
  ]

  test.each(cases)('%s → %s at line %s', async (name, code, line, problem) => {
    const file = path.join(BAD, name)
    const text = await readFile(file)
    const err = await datasetError(() => parseSplitFile(text, file, 'astronomy', 'test'))
    expect(err.code).toBe(code)
    expect(err.file).toBe(file)
    expect(err.line).toBe(line)
    expect(err.problem).toBe(problem)
    expect(err.fix.length).toBeGreaterThan(20)
    const where = line === undefined ? file : `${file}:${line}`
    expect(err.message).toBe(`${where}: ${problem}. Fix: ${err.fix}.`)
  })

  test('the fixes say what to do', async () => {
    const columns = await datasetError(async () =>
      parseSplitFile(await readFile(path.join(BAD, 'columns.csv')), 'columns.csv', 'astronomy', 'test'),
    )
    expect(columns.fix).toBe(
      'give each question exactly 6 fields; quote a field that contains a comma, a quote or a line break ("like, this"), and write each quote inside a quoted field twice ("say ""hi""")',
    )
    const answer = await datasetError(async () =>
      parseSplitFile(await readFile(path.join(BAD, 'answer_e.csv')), 'answer_e.csv', 'astronomy', 'test'),
    )
    expect(answer.fix).toBe('write the letter of the right choice (A, B, C or D) in the last column')
  })
  test('Latin-1 or Windows-1252 bytes stop the read at their line; UTF-8 (with or without BOM) and UTF-16LE with its BOM are read', async () => {
    // "Café" with é as the single Latin-1 byte 0xE9, on the second question's line.
    const latin1 = Buffer.concat([Buffer.from('Q1?,a,b,c,d,A\r\nCaf'), Buffer.from([0xe9]), Buffer.from(' au lait?,a,b,c,d,B\r\n')])
    const err = await datasetError(() => parseSplitFile(latin1, 'latin1.csv', 'astronomy', 'test'))
    expect(err.code).toBe('encoding')
    expect(err.line).toBe(2)
    expect(err.message).toContain('latin1.csv:2: a byte here is not UTF-8')
    // Windows-1252 curly quotes (0x93, 0x94) likewise.
    const cp1252 = Buffer.concat([Buffer.from('Q1?,a,b,c,d,A\nQ2?,a,b,'), Buffer.from([0x93, 0x63, 0x94]), Buffer.from(',d,B\n')])
    expect((await datasetError(() => parseSplitFile(cp1252, 'w.csv', 'astronomy', 'test'))).line).toBe(2)
    const utf8 = 'Q1?,a,b,c,d,A\nCafé au lait? “yes”,a,b,c,d,B\n'
    expect(parseSplitFile(Buffer.from(`\uFEFF${utf8}`), 'u.csv', 'astronomy', 'test').map((q) => q.question)).toEqual(['Q1?', 'Café au lait? “yes”'])
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(utf8, 'utf16le')])
    expect(parseSplitFile(utf16, 'u16.csv', 'astronomy', 'test').map((q) => q.question)).toEqual(['Q1?', 'Café au lait? “yes”'])
  })
})

describe('loading errors', () => {
  test('missing file: names the expected path, the layout and MMLU_DATA_DIR', async () => {
    const err = await datasetError(() => loadSplit(HF, 'anatomy', 'test'))
    const file = path.join(HF, 'test', 'anatomy_test.csv')
    expect(err.code).toBe('missing-file')
    expect(err.file).toBe(file)
    expect(err.message).toBe(
      `${file}: file not found (expected the layout ${path.join(HF, '{dev,val,test}/<subject>_<split>.csv')}). ` +
        'Fix: set MMLU_DATA_DIR to a folder with that layout (the Hendrycks data.tar or the Hugging Face cais/mmlu CSV export).',
    )
  })

  test('missing data folder: says the folder does not exist', async () => {
    const dir = path.join(HF, 'no-such-dir')
    const err = await datasetError(() => loadSubject(dir, 'astronomy', PARTIAL))
    // The folder alone, so every subject reports the same error and it is printed once.
    expect(err.message).toContain(`${dir}: the data folder does not exist`)
    expect(err.file).toBe(dir)
    expect(err.message).toContain('MMLU_DATA_DIR')
    const listErr = await datasetError(() => listAvailableSubjects(dir))
    expect(listErr.file).toBe(path.join(dir, 'test'))
    expect(listErr.message).toContain('MMLU_DATA_DIR')
  })

  test('unknown subject: suggests the closest names', async () => {
    const err = await datasetError(() => loadSplit(HF, 'astronmy', 'test'))
    expect(err.code).toBe('unknown-subject')
    expect(err.message).toBe(
      `${path.join(HF, 'test', 'astronmy_test.csv')}: unknown subject "astronmy"; did you mean astronomy?. ` +
        'Fix: use one of the 57 MMLU subject names (SUBJECT_NAMES in src/dataset/subjects.ts).',
    )
  })

  test('suggestSubjects', () => {
    expect(suggestSubjects('astronmy')).toEqual(['astronomy'])
    expect(suggestSubjects('Business Ethics')).toEqual(['business_ethics'])
    expect(suggestSubjects('bussiness-ethic')).toEqual(['business_ethics'])
    expect(suggestSubjects('physics')).toEqual(['college_physics', 'conceptual_physics', 'high_school_physics'])
    expect(suggestSubjects('high_school_us_histroy')).toEqual(['high_school_us_history'])
    expect(suggestSubjects('us_history')).toEqual(['high_school_us_history'])
    expect(suggestSubjects('math')).toEqual(['college_mathematics', 'elementary_mathematics', 'high_school_mathematics'])
    expect(suggestSubjects('highschool math')).toEqual(['high_school_mathematics'])
    expect(suggestSubjects('zzzz')).toEqual([])
    expect(suggestSubjects('')).toEqual([])
  })

  test('incomplete test split: names the file, found and expected counts', async () => {
    const err = await datasetError(() => loadSplit(HF, 'astronomy', 'test'))
    const file = path.join(HF, 'test', 'astronomy_test.csv')
    expect(err.code).toBe('incomplete')
    expect(err.message).toBe(
      `${file}: incomplete data: found 8 test questions for astronomy, expected 152. ` +
        'Fix: restore the full file from the MMLU release (this copy looks truncated or edited), or set MMLU_ALLOW_PARTIAL=1 for a deliberately partial set (MMLU_LIMIT=N alone asks the first N questions of a complete copy).',
    )
    const subjectErr = await datasetError(() => loadSubject(ORIGINAL, 'business_ethics'))
    expect(subjectErr.problem).toBe('incomplete data: found 8 test questions for business_ethics, expected 100')
    expect(await loadSplit(HF, 'astronomy', 'test', PARTIAL)).toHaveLength(8)
  })
})

// The real data: ../shared/mmlu (Hugging Face dialect), or wherever MMLU_DATA_DIR points.
const DATA_DIR = REAL_DATA_DIR
const HAS_DATA = HAS_REAL_DATA

if (!HAS_DATA) {
  test.skip(`real MMLU data: not found at ${DATA_DIR} (set MMLU_DATA_DIR to a copy to run these tests)`, () => {})
}

describe.skipIf(!HAS_DATA)(`real MMLU data at ${DATA_DIR}`, () => {
  let all: Map<Subject, SubjectSplits>

  // Load speed is a benchmark figure (npm run bench), not a timed unit test.
  beforeAll(async () => {
    const loaded = await Promise.all(SUBJECT_NAMES.map((s) => loadSubject(DATA_DIR, s)))
    all = new Map(SUBJECT_NAMES.map((s, i) => [s, loaded[i]!]))
  })

  test('all 57 subjects are available', async () => {
    expect(await listAvailableSubjects(DATA_DIR)).toEqual(SUBJECT_NAMES)
  })

  test('every subject has its canonical test count and 5 dev questions; 14,042 in all', () => {
    let total = 0
    for (const subject of SUBJECT_NAMES) {
      const { dev, test } = all.get(subject)!
      expect(test, subject).toHaveLength(SUBJECTS[subject].testCount)
      expect(dev, subject).toHaveLength(5)
      expect(test.map((q) => q.index)).toEqual(test.map((_, i) => i))
      total += test.length
    }
    expect(total).toBe(14_042)
    expect(TOTAL_TEST_QUESTIONS).toBe(14_042)
  })

  test('answer letters in the test split', () => {
    const everything = SUBJECT_NAMES.flatMap((s) => all.get(s)!.test)
    expect(countLetters(everything)).toEqual({ A: 3222, B: 3462, C: 3582, D: 3776 })
    expect(countLetters(all.get('astronomy')!.test)).toEqual({ A: 27, B: 28, C: 46, D: 51 })
    expect(countLetters(all.get('business_ethics')!.test)).toEqual({ A: 30, B: 26, C: 23, D: 21 })
  })

  describe('the same data in the original dialect', () => {
    // Chosen for their quirks: doubled quotes, CRLF inside quoted fields, long
    // multi-line passages, the largest file, and a short one.
    const SAMPLE = [
      'astronomy',
      'business_ethics',
      'college_mathematics',
      'high_school_european_history',
      'professional_law',
    ] as const
    let tmp: string

    beforeAll(async () => {
      tmp = await mkdtemp(path.join(os.tmpdir(), 'mmlu-original-'))
      const written = await writeOriginalDialect(DATA_DIR, tmp, SAMPLE)
      expect(written).toHaveLength(SAMPLE.length * 2)
    })

    afterAll(async () => {
      if (tmp) await rm(tmp, { recursive: true, force: true })
    })

    // The suite reads every subject through loadSubject (src/suite.ts), so identical splits here
    // are identical prompts and records in a run; gate-fingerprint.test.ts checks the data's fingerprint.
    test.each(SAMPLE)('%s: identical questions from both dialects', async (subject) => {
      const original = await loadSubject(tmp, subject)
      expect(original).toEqual(all.get(subject))
      // The converted copy really is the other dialect: no header, letters.
      const text = await readFile(path.join(tmp, 'test', `${subject}_test.csv`), 'utf8')
      expect(text.startsWith('question,')).toBe(false)
      expect(text.trimEnd().at(-1)).toMatch(/^[ABCD]$/)
    })
  })
})
