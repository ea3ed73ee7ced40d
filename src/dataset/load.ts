// Reads split files from a folder in the Hendrycks layout:
//   <dir>/{dev,val,test}/<subject>_<split>.csv
// Both the original release and the Hugging Face export use this layout.

import { readFile, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { parseSplitFile } from './csv.js'
import { DatasetError } from './errors.js'
import type { Question, Split } from './question.js'
import { SUBJECTS, SUBJECT_NAMES, isSubject, suggestSubjects } from './subjects.js'
import type { Subject } from './subjects.js'

export interface LoadOptions {
  /**
   * Accept a dev or test split whose question count differs from the canonical one
   * (5 dev questions, `SUBJECTS[s].testCount` test questions). For deliberately small
   * sets such as the project's fixtures. Off by default, so a truncated copy is caught.
   */
  allowPartial?: boolean
  /** Few-shot examples the prompts will take from the dev split: fewer dev questions is an error naming the file. */
  shots?: number
}

export interface SubjectSplits {
  dev: Question[]
  test: Question[]
}

/** Number of dev questions per subject in every MMLU release (the few-shot examples). */
export const DEV_COUNT = 5

const LAYOUT = '{dev,val,test}/<subject>_<split>.csv'
const DATA_DIR_FIX =
  'set MMLU_DATA_DIR to a folder with that layout (the Hendrycks data.tar or the Hugging Face cais/mmlu CSV export)'

/** Where the file of one split of one subject lives under `dir`. */
export function splitFilePath(dir: string, subject: string, split: Split): string {
  return path.join(dir, split, `${subject}_${split}.csv`)
}

function layoutHint(dir: string): string {
  return `the layout ${path.join(dir, LAYOUT)}`
}

async function missingFileError(dir: string, file: string): Promise<DatasetError> {
  const dirExists = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  )
  // A missing folder is named alone, so every subject file reports the same error (printed once).
  return dirExists
    ? new DatasetError({ code: 'missing-file', file, problem: `file not found (expected ${layoutHint(dir)})`, fix: DATA_DIR_FIX })
    : new DatasetError({ code: 'missing-file', file: dir, problem: `the data folder does not exist (expected ${layoutHint(dir)})`, fix: DATA_DIR_FIX })
}

function unknownSubjectError(dir: string, name: string, split: Split): DatasetError {
  const suggestions = suggestSubjects(name)
  const didYouMean = suggestions.length > 0 ? `; did you mean ${suggestions.join(', ')}?` : ''
  return new DatasetError({
    code: 'unknown-subject',
    file: splitFilePath(dir, name, split),
    problem: `unknown subject ${JSON.stringify(name)}${didYouMean}`,
    fix: `use one of the ${SUBJECT_NAMES.length} MMLU subject names (SUBJECT_NAMES in src/dataset/subjects.ts)`,
  })
}

function expectedCount(subject: Subject, split: Split): number | undefined {
  if (split === 'test') return SUBJECTS[subject].testCount
  if (split === 'dev') return DEV_COUNT
  return undefined
}

/** Throws a `DatasetError` when a split does not hold its canonical number of questions. */
export function checkComplete(questions: readonly Question[], file: string, subject: Subject, split: Split): void {
  const expected = expectedCount(subject, split)
  if (expected === undefined || questions.length === expected) return
  throw new DatasetError({
    code: 'incomplete',
    file,
    problem: `incomplete data: found ${questions.length} ${split} questions for ${subject}, expected ${expected}`,
    fix: 'restore the full file from the MMLU release (this copy looks truncated or edited), or set MMLU_ALLOW_PARTIAL=1 for a deliberately partial set (MMLU_LIMIT=N alone asks the first N questions of a complete copy)',
  })
}

/** Loads one split of one subject from `dir`. */
export async function loadSplit(
  dir: string,
  subject: string,
  split: Split,
  opts: LoadOptions = {},
): Promise<Question[]> {
  if (!isSubject(subject)) throw unknownSubjectError(dir, subject, split)
  const file = splitFilePath(dir, subject, split)
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw await missingFileError(dir, file)
    throw err
  }
  const questions = parseSplitFile(bytes, file, subject, split)
  if (!opts.allowPartial) checkComplete(questions, file, subject, split)
  return questions
}

/** Throws a `DatasetError` when a dev split has fewer questions than the prompts' few-shot examples need. */
export function checkShots(dev: readonly Question[], file: string, shots: number): void {
  if (dev.length >= shots) return
  throw new DatasetError({
    code: 'incomplete',
    file,
    problem: `${shots}-shot prompts need ${shots} dev questions, the file has ${dev.length}`,
    fix: `add dev questions to the file, or ask for fewer examples (MMLU_SHOTS=${dev.length})`,
  })
}

/** Loads the dev split (few-shot examples) and the test split of one subject. */
export async function loadSubject(dir: string, subject: string, opts: LoadOptions = {}): Promise<SubjectSplits> {
  const [dev, test] = await Promise.all([loadSplit(dir, subject, 'dev', opts), loadSplit(dir, subject, 'test', opts)])
  if (opts.shots !== undefined) checkShots(dev, splitFilePath(dir, subject, 'dev'), opts.shots)
  return { dev, test }
}

/**
 * The subjects that have a test file under `dir`, in canonical order. Files with
 * other names are ignored. Throws a `DatasetError` when `<dir>/test` does not exist.
 */
export async function listAvailableSubjects(dir: string): Promise<Subject[]> {
  const testDir = path.join(dir, 'test')
  let names: string[]
  try {
    names = await readdir(testDir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatasetError({
        code: 'missing-file',
        file: testDir,
        problem: `folder not found (expected ${layoutHint(dir)})`,
        fix: DATA_DIR_FIX,
      })
    }
    throw err
  }
  const present = new Set(names)
  return SUBJECT_NAMES.filter((subject) => present.has(`${subject}_test.csv`))
}
