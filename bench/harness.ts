// B1, harness overhead: the full 57-subject suite through a spawned
// `vitest run --project mmlu evals` with the instant engine, against a bare
// loop over the same pipeline (load → prompt → engine → score → record →
// summaries → results file) with the project's own modules and no Vitest.
// The difference per question is what the Vitest glue and reporter cost.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { loadSubject } from '../src/dataset/load.js'
import { SUBJECT_NAMES } from '../src/dataset/subjects.js'
import type { QuestionRecord, ResultsFile } from '../src/run/results.js'
import { RESULTS_SCHEMA_VERSION, writeResults } from '../src/run/results.js'
import { fewShotPrefix, formatQuestion } from '../src/prompt/prompt.js'
import { scoreAnswer } from '../src/scoring/scoring.js'
import { summarizeRun, summarizeSubject } from '../src/run/summary.js'
import type { SubjectSummary } from '../src/run/summary.js'
import { openInstantEngine } from './instant-engine.js'
import { spawnVitest } from './vitest-child.js'

/** The same flow as `defineSubject` + the reporter, in a plain loop. */
export async function bareLoop(dataDir: string, shots: number, resultsFile: string, limit?: number): Promise<{ ms: number; questions: number; correct: number }> {
  const t0 = performance.now()
  const engine = openInstantEngine()
  const subjects: SubjectSummary[] = []
  const records: QuestionRecord[] = []
  for (const subject of SUBJECT_NAMES) {
    const f0 = performance.now()
    const { dev, test: all } = await loadSubject(dataDir, subject)
    const test = limit === undefined ? all : all.slice(0, limit)
    const session = await engine.openSession({ scoring: 'logprob', concurrency: 1, maxTokens: 5 })
    const prefix = fewShotPrefix(subject, dev, shots)
    const own: QuestionRecord[] = []
    const signal = new AbortController().signal
    for (const question of test) {
      const prompt = { prefix, suffix: formatQuestion(question), shots }
      const raw = await session.answer(prompt, signal)
      own.push(scoreAnswer(question, raw, shots))
    }
    await session.close()
    subjects.push(summarizeSubject(subject, own, performance.now() - f0))
    for (const r of own) records.push(r)
  }
  const run = summarizeRun(subjects, records, performance.now() - t0)
  const out: ResultsFile = {
    schema: RESULTS_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    status: 'passed',
    config: {
      model: engine.info.model,
      engine: engine.info.engine,
      scoring: 'logprob',
      shots,
      concurrency: 1,
      vitest: { fileParallelism: false, maxWorkers: 0, workersUsed: 0 },
      dataDir,
      limit,
    },
    provenance: [engine.info],
    summary: run,
    subjects,
    records,
  }
  await writeResults(resultsFile, out)
  return { ms: performance.now() - t0, questions: records.length, correct: run.correct }
}

const INSTANT = 'bench/instant-engine.ts'

export interface HarnessFigures {
  questions: number
  /** Bare loop, no Vitest: first file read → results file written. */
  bareMs: number
  /** Bare loop on the first question of each subject: reading and parsing all files, the fixed part. */
  bareFixedMs: number
  /** Spawned `vitest run`, process start → exit. */
  vitestMs: number
  /** The same with MMLU_LIMIT=1 (57 questions): startup, config, workers, data, reporter: the fixed part. */
  vitestFixedMs: number
  /** The reporter's own wall (run start → run end). */
  vitestReporterWallMs: number
  /** (vitest − bare) ÷ questions: everything Vitest adds, startup included. */
  overheadMsPerQuestion: number
  /** The same for the per-question part only: fixed costs (MMLU_LIMIT=1 runs) taken out of both sides. */
  marginalOverheadMsPerQuestion: number
  command: string
}

async function vitestInstant(dataDir: string, resultsFile: string, limit?: number) {
  const env: Record<string, string> = { MMLU_DATA_DIR: dataDir, MMLU_ENGINE_MODULE: INSTANT, MMLU_RESULTS: resultsFile }
  if (limit !== undefined) env.MMLU_LIMIT = String(limit)
  const run = await spawnVitest(['evals'], env, 300_000)
  if (run.code !== 0) throw new Error(`B1: ${run.command} exited ${run.code}:\n${run.output.slice(-3000)}`)
  return { ...run, results: JSON.parse(await readFile(resultsFile, 'utf8')) as ResultsFile }
}

export async function measureHarness(dataDir: string): Promise<HarnessFigures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-bench-b1-'))
  try {
    const shots = 5
    // Warm the file cache and the JIT once, so neither side pays for the first read.
    await bareLoop(dataDir, shots, path.join(dir, 'warm.json'))
    const bare = await bareLoop(dataDir, shots, path.join(dir, 'bare.json'))
    const bareFixed = await bareLoop(dataDir, shots, path.join(dir, 'bare-fixed.json'), 1)
    const full = await vitestInstant(dataDir, path.join(dir, 'vitest.json'))
    const fixed = await vitestInstant(dataDir, path.join(dir, 'vitest-fixed.json'), 1)
    const { summary } = full.results
    if (summary.questions !== bare.questions || summary.correct !== bare.correct) {
      throw new Error(`B1: the Vitest run (${summary.correct}/${summary.questions}) and the bare loop (${bare.correct}/${bare.questions}) disagree`)
    }
    const perQuestion = bare.questions - bareFixed.questions
    return {
      questions: bare.questions,
      bareMs: bare.ms,
      bareFixedMs: bareFixed.ms,
      vitestMs: full.ms,
      vitestFixedMs: fixed.ms,
      vitestReporterWallMs: summary.wallMs,
      overheadMsPerQuestion: (full.ms - bare.ms) / bare.questions,
      marginalOverheadMsPerQuestion: (full.ms - fixed.ms - (bare.ms - bareFixed.ms)) / perQuestion,
      command: full.command,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
