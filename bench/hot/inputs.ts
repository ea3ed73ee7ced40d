// The inputs of the hot-path benches (bench/hot/*.bench.ts), built once per
// bench file, outside every timed function. The questions are MMLU's
// (MMLU_DATA_DIR, else ../shared/mmlu) when that folder holds the data, else
// the fixtures' 16 questions cycled to the same counts, so both sources time
// the same amount of work; `source` says which one a figure came from.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { stringify } from 'csv-stringify/sync'
import { loadSplit, loadSubject } from '../../src/dataset/load.js'
import type { Letter, Question } from '../../src/dataset/question.js'
import { LETTERS } from '../../src/dataset/question.js'
import { SUBJECT_NAMES, SUBJECTS } from '../../src/dataset/subjects.js'
import type { Subject } from '../../src/dataset/subjects.js'
import type { TopicSpec } from '../../src/dataset/topic.js'
import type { QuestionRecord } from '../../src/base/record.js'
import { seededRandom } from '../../src/base/random.js'

export type DataSource = 'mmlu' | 'fixtures'

/** Questions a per-question case handles per call (prompt suffixes, scoring). */
export const BATCH = 1_000
/** The CSV case's subject: MMLU's largest test file (1,534 questions). */
export const CSV_SUBJECT: Subject = 'professional_law'
/** Questions in the topic CSV the topic reader reads. */
export const TOPIC_QUESTIONS = 1_000

const FIXTURE_DIR = path.resolve('fixtures/mmlu/hf')

export interface HotData {
  source: DataSource
  /** Where the CSV cases read from: the MMLU folder, or one written from the fixtures' questions. */
  dataDir: string
  /** MMLU's 57 subjects, each with its dev split (5 few-shot examples); from the fixtures, their two subjects' dev splits in turn. */
  dev: { subject: string; dev: Question[] }[]
  /** BATCH test questions, cycled over the subjects. */
  questions: Question[]
  /** A topic of TOPIC_QUESTIONS distinct questions, written to a temporary folder. */
  topic: { spec: TopicSpec; root: string }
}

/** MMLU_DATA_DIR (or ../shared/mmlu) when it holds MMLU's test files; undefined otherwise. */
export function mmluDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = path.resolve(env.MMLU_DATA_DIR ?? '../shared/mmlu')
  return existsSync(path.join(dir, 'test', `${CSV_SUBJECT}_test.csv`)) ? dir : undefined
}

/** `n` items taken round-robin from `xs`. */
function cycle<T>(xs: readonly T[], n: number): T[] {
  return Array.from({ length: n }, (_, i) => xs[i % xs.length]!)
}

function originalRows(questions: readonly Question[], tag = (_: number) => ''): string {
  return stringify(questions.map((q, i) => [q.question + tag(i), ...q.choices, q.answer]))
}

/** A Hendrycks-layout folder with CSV_SUBJECT at its canonical size, written from the fixtures' questions. */
async function writeFixtureData(root: string, dev: readonly Question[], test: readonly Question[]): Promise<string> {
  const dir = path.join(root, 'mmlu')
  await mkdir(path.join(dir, 'dev'), { recursive: true })
  await mkdir(path.join(dir, 'test'), { recursive: true })
  await writeFile(path.join(dir, 'dev', `${CSV_SUBJECT}_dev.csv`), originalRows(dev.slice(0, 5)))
  await writeFile(path.join(dir, 'test', `${CSV_SUBJECT}_test.csv`), originalRows(cycle(test, SUBJECTS[CSV_SUBJECT].testCount)))
  return dir
}

export async function hotData(env: NodeJS.ProcessEnv = process.env): Promise<HotData> {
  const mmlu = mmluDir(env)
  const subjects: string[] = mmlu ? SUBJECT_NAMES : ['astronomy', 'business_ethics']
  const from = mmlu ?? FIXTURE_DIR
  const splits = await Promise.all(subjects.map(async (subject) => ({ subject, ...(await loadSubject(from, subject, { allowPartial: !mmlu })) })))
  const everyTest = splits.flatMap((s) => s.test)
  // Spread over the subjects: question i of each subject in turn.
  const spread = [...everyTest].sort((a, b) => a.index - b.index || a.subject.localeCompare(b.subject))
  const questions = cycle(spread, BATCH)
  const root = await mkdtemp(path.join(os.tmpdir(), 'mmlu-hot-bench-'))
  const dataDir = mmlu ?? (await writeFixtureData(root, splits[0]!.dev, everyTest))
  // Distinct questions: the topic reader looks for duplicates, and a cycled file would be all duplicates.
  const topicFile = path.join(root, 'topic_test.csv')
  await writeFile(topicFile, originalRows(cycle(spread, TOPIC_QUESTIONS), (i) => ` (${i})`))
  return {
    source: mmlu ? 'mmlu' : 'fixtures',
    dataDir,
    // The fixtures' dev questions stand in for every subject's, so both sources build 57 prefixes.
    dev: SUBJECT_NAMES.map((subject, i) => ({ subject, dev: (splits.find((s) => s.subject === subject) ?? splits[i % splits.length]!).dev })),
    questions,
    topic: { spec: { name: 'hot_topic', test: topicFile }, root },
  }
}

/** Re-reads the CSV case's test split (for a check that the data is what the case times). */
export function readCsvSubject(d: HotData): Promise<Question[]> {
  return loadSplit(d.dataDir, CSV_SUBJECT, 'test')
}

/**
 * A run's records as the reporter holds them: one per question of MMLU's 57
 * subjects (14,042), or `trials` per question. Seeded: a model right 60% of
 * the time, 2% invalid, wrong answers spread over the other letters, latencies
 * 50-150 ms one after another. No question text: the summaries read none.
 */
export function runRecords(trials = 1, seed = 27): QuestionRecord[] {
  const random = seededRandom(seed)
  const records: QuestionRecord[] = []
  let clock = 1_700_000_000_000
  for (const subject of SUBJECT_NAMES) {
    for (let index = 0; index < SUBJECTS[subject].testCount; index++) {
      const expected = LETTERS[index % 4] as Letter
      for (let trial = 1; trial <= trials; trial++) {
        const u = random()
        const outcome = u < 0.6 ? 'correct' : u < 0.98 ? 'wrong' : 'invalid'
        const given: Letter | null = outcome === 'correct' ? expected : outcome === 'invalid' ? null : (LETTERS[(index + 1 + Math.floor(random() * 3)) % 4] as Letter)
        const latencyMs = 50 + random() * 100
        records.push({
          subject,
          index,
          expected,
          given,
          outcome,
          text: given === null ? 'I am not sure' : ` ${given}`,
          shots: 5,
          promptTokens: 600,
          evaluatedTokens: 120,
          completionTokens: 0,
          startedAt: clock,
          latencyMs,
          ...(trials > 1 ? { trial } : {}),
        })
        clock += latencyMs
      }
    }
  }
  return records
}

/** `n` answered records of one subject whose model says A far more than the key does: the letter-preference test's slowest case (every Monte Carlo draw made). */
export function biasedRecords(n: number, seed = 21): QuestionRecord[] {
  const random = seededRandom(seed)
  return Array.from({ length: n }, (_, index): QuestionRecord => {
    const expected = LETTERS[index % 4] as Letter
    const u = random()
    // About 30% right; a wrong answer to a question whose key is not A is A two times in three.
    const given = (u < 0.3 ? expected : expected !== 'A' && u < 0.75 ? 'A' : LETTERS[(index + 1 + Math.floor(random() * 3)) % 4]) as Letter
    return { subject: 'world_religions', index, expected, given, outcome: given === expected ? 'correct' : 'wrong', text: ` ${given}`, shots: 5, promptTokens: 0, evaluatedTokens: 0, completionTokens: 0, startedAt: 0, latencyMs: 1 }
  })
}
