// The text of questions a run asked, read back from the data folder it
// recorded. Results files hold no question text (a full run would carry
// ~7 MB of it, and every kept run again); the data folder has it, and the
// run's data fingerprint says whether the folder still holds what was asked.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parseSplit } from './csv.js'
import { locateDataDir } from './data-dir.js'
import { fingerprintQuestions } from './fingerprint.js'
import { loadSplit } from './load.js'
import type { TopicFile } from './topic.js'
import type { Question } from './question.js'

export type QuestionLookup = { questions: Question[]; dir: string } | { reason: string }

/**
 * The test questions of `subject` as the run asked them, only if their
 * fingerprint is the one the run recorded; otherwise why not. An MMLU subject
 * is read from `dataDir` (the run's MMLU_DATA_DIR; undefined: the downloaded
 * copy); a question set of your own from the test file its inputs name
 * (relative to the current folder, the project root).
 */
export async function lookUpQuestions(dataDir: string | undefined, subject: string, inputs: { dataFingerprint: string; files?: TopicFile[] } | undefined): Promise<QuestionLookup> {
  const topicFile = inputs?.files?.find((f) => f.split === 'test')
  if (topicFile) return lookUpTopic(subject, topicFile.file, topicFile.fingerprint)
  const dir = locateDataDir(dataDir)
  if (!dir) return { reason: 'the run used the downloaded MMLU data, and there is none in the cache (npm run data:pull)' }
  if (!existsSync(dir)) return { reason: `the run's data folder ${path.resolve(dir)} does not exist here` }
  let questions: Question[]
  try {
    questions = await loadSplit(dir, subject, 'test', { allowPartial: true })
  } catch (e) {
    return { reason: (e as Error).message.split('\n')[0] as string }
  }
  return checked(questions, dir, subject, inputs?.dataFingerprint)
}

async function lookUpTopic(subject: string, file: string, fingerprint: string): Promise<QuestionLookup> {
  let questions: Question[]
  try {
    questions = parseSplit(await readFile(path.resolve(file)), file, subject, 'test', {}).questions
  } catch (e) {
    return { reason: `the topic's test file ${file} cannot be read here (${((e as Error).message.split('\n')[0] as string).slice(0, 200)})` }
  }
  return checked(questions, file, subject, fingerprint)
}

function checked(questions: Question[], where: string, subject: string, fingerprint: string | undefined): QuestionLookup {
  if (!fingerprint) return { reason: `the run records no data fingerprint for ${subject}, so the text in ${where} cannot be checked against what was asked` }
  const found = fingerprintQuestions(questions)
  if (found !== fingerprint) return { reason: `${where} no longer holds the ${subject} questions the run asked (fingerprint ${found.slice(7, 19)}, the run's ${fingerprint.slice(7, 19)})` }
  return { questions, dir: where }
}
