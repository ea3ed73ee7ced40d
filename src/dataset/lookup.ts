// The text of questions a run asked, read back from the data folder it
// recorded. Results files hold no question text (a full run would carry
// ~7 MB of it, and every kept run again); the data folder has it, and the
// run's data fingerprint says whether the folder still holds what was asked.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { locateDataDir } from './download.js'
import { fingerprintQuestions } from './fingerprint.js'
import { loadSplit } from './load.js'
import type { Question } from './question.js'

export type QuestionLookup = { questions: Question[]; dir: string } | { reason: string }

/**
 * The test questions of `subject` from `dataDir` (the run's MMLU_DATA_DIR;
 * undefined: the downloaded copy), only if their fingerprint is the one the
 * run recorded; otherwise why not.
 */
export async function lookUpQuestions(dataDir: string | undefined, subject: string, fingerprint: string | undefined): Promise<QuestionLookup> {
  const dir = locateDataDir(dataDir)
  if (!dir) return { reason: 'the run used the downloaded MMLU data, and there is none in the cache (npm run data:pull)' }
  if (!existsSync(dir)) return { reason: `the run's data folder ${path.resolve(dir)} does not exist here` }
  let questions: Question[]
  try {
    questions = await loadSplit(dir, subject, 'test', { allowPartial: true })
  } catch (e) {
    return { reason: (e as Error).message.split('\n')[0] as string }
  }
  if (!fingerprint) return { reason: `the run records no data fingerprint for ${subject}, so the text in ${dir} cannot be checked against what was asked` }
  const found = fingerprintQuestions(questions)
  if (found !== fingerprint) return { reason: `${dir} no longer holds the ${subject} questions the run asked (fingerprint ${found.slice(7, 19)}, the run's ${fingerprint.slice(7, 19)})` }
  return { questions, dir }
}
