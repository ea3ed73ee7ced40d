// Where the real MMLU data is for tests: MMLU_DATA_DIR, else ../shared/mmlu.
// Without it, the tests that need it are skipped locally, but CI must have it:
// there a missing dataset fails loudly instead of skipping silently.
import { existsSync } from 'node:fs'
import path from 'node:path'

export const REAL_DATA_DIR = path.resolve(process.env.MMLU_DATA_DIR ?? '../shared/mmlu')
export const HAS_REAL_DATA = existsSync(path.join(REAL_DATA_DIR, 'test'))

if (!HAS_REAL_DATA && process.env.CI) {
  throw new Error(`CI needs the real MMLU data at ${REAL_DATA_DIR}: set MMLU_DATA_DIR to a folder with {dev,test}/<subject>_<split>.csv.`)
}
// Said on every run, by every file that imports this: a skip nobody sees is a pass nobody earned.
if (!HAS_REAL_DATA) console.warn(`Skipping this file's tests that read the real MMLU data: none at ${REAL_DATA_DIR} (set MMLU_DATA_DIR; with CI set this fails instead).`)

export const FIXTURE_DATA_DIR = path.resolve('fixtures/mmlu/hf')
export const FIXTURE_ORIGINAL_DATA_DIR = path.resolve('fixtures/mmlu/original')
