// What a run writes: the results JSON (schema, config, provenance, summaries
// and every question's record), and the per-subject run facts it is built from.
import { mkdirSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { RunAnalysis } from '../analysis/run.js'
import type { ServerGivenUp } from '../backends/backend.js'
import type { Category } from '../dataset/subjects.js'
import type { Concurrency, ScoringMode } from '../config/options.js'
import type { SubjectInputs } from '../prompt/inputs.js'
import type { ProtocolChoice } from '../prompt/protocols.js'
import type { EngineInfo, QuestionRecord } from '../base/record.js'
import { writeChunksAtomic, writeChunksAtomicSync } from './atomic-write.js'
import type { GivenUpSummary } from './servers-report.js'
import type { RunSummary, SubjectSummary } from './summary.js'

export const RESULTS_SCHEMA_VERSION = 1

export type { LetterProbabilities, Outcome, QuestionRecord } from '../base/record.js'
export type { SubjectInputs } from '../prompt/inputs.js'

/** What one subject file ran with; set on the subject's suite meta. */
export interface SubjectRun {
  subject: string
  /** MMLU's category, or a topic's own (default `custom`). */
  category: Category | string
  engine: EngineInfo
  session: Record<string, string | number | boolean>
  scoring: ScoringMode
  shots: number
  /** MMLU_CONCURRENCY as set: per server; `auto` is resolved during the run (see `session`). */
  concurrency: Concurrency
  questions: number
  /** Tests when each question is asked more than once (trials × rotations); absent otherwise. */
  asks?: number
  /** MMLU_SAMPLE: the questions the sample was drawn from (the subject's whole test split); its weight in the run's figures. */
  population?: number
  /** Model load + context creation, kept out of every question's latency. */
  setupMs: number
  /** Questions whose prompt was cut to fewer shots to fit the model's context. */
  reducedShots: number
  /** What its answers depend on besides the model, whole as the results file records it (config.inputs). */
  inputs: SubjectInputs
  /** Cached answers not trusted and asked again, by reason (answer-cache.ts). */
  cacheIgnored?: Record<string, number>
  /** Why the answer cache stopped writing during this file; its answers still count. */
  cacheWriteError?: string
  /** An embedded engine's worker: its peak resident memory so far, bytes (process.resourceUsage().maxRSS, read after the file's questions); absent for a server. */
  peakRssBytes?: number
  /** Servers this file's worker gave up, with when (several servers; src/backends/dispatch.ts). */
  serversGivenUp?: ServerGivenUp[]
  /** Things worth a look that did not stop the file (duplicate questions), each with file:line. */
  warnings?: string[]
}

/** How the run asked its questions beyond the prompt (present only when any is set, so a default run's config is as before). */
export interface AskConfig {
  temperature: number
  trials: number
  rotate: boolean
  seed: number
  /** MMLU_SAMPLE, e.g. `20 per subject` or `10% of each subject`. */
  sample?: string
}

export interface RunConfig {
  model: string
  /** Answered by the test double (`npm run server:simulated`), not a model: src/base/simulated.ts. Absent for a real run. */
  simulated?: true
  engine: string
  scoring: ScoringMode
  shots: number
  /** Questions in flight per server: MMLU_CONCURRENCY, or the level auto chose (the highest, where servers differ). */
  concurrency: number
  /** MMLU_CONCURRENCY=auto: what it measured and chose, per server. */
  concurrencyAuto?: string
  /** Servers that shared the questions, when more than one. */
  servers?: number
  vitest: { fileParallelism: boolean; maxWorkers: number; workersUsed: number }
  dataDir: string | undefined
  limit: number | undefined
  /** MMLU_PROTOCOL, with the options that overrode it; absent when none was named. */
  protocol?: ProtocolChoice
  /** Sampling, trials, rotation and sample; absent in a default run. */
  asks?: AskConfig
  /** The prompt sent as chat turns (MMLU_PROMPT_FORMAT=chat); absent for the raw prompt. */
  promptFormat?: 'chat'
  /** Per subject: shots, prompt hash and data fingerprint (absent in files written before they were recorded). */
  inputs?: Record<string, SubjectInputs>
}

export interface ResultsFile {
  schema: typeof RESULTS_SCHEMA_VERSION
  createdAt: string
  /** `passed`, `failed` (errors) or `interrupted`. */
  status: string
  config: RunConfig
  provenance: EngineInfo[]
  summary: RunSummary
  subjects: SubjectSummary[]
  /** Calibration and letter bias (src/analysis); absent in files written before they were. */
  analysis?: RunAnalysis
  /** Servers given up mid-run, and where their questions went; absent when none was. */
  serversGivenUp?: GivenUpSummary[]
  /** Subjects whose answers did not go into the answer cache (a full disk, a read-only folder), with why; absent when every write worked. Their answers count; a rerun asks them again. */
  cacheWriteErrors?: { subject: string; error: string }[]
  /** The embedded engine's peak resident memory, bytes: the highest worker's process.resourceUsage().maxRSS. Absent for servers (they report none) and in files from before issue 24. */
  peakRssBytes?: number
  records: QuestionRecord[]
}

/** Records per piece of the written text: a piece stays small whatever the run's size. */
const RECORDS_PER_CHUNK = 2_000

/**
 * The results file as text, in pieces: everything but the records as
 * `JSON.stringify(…, null, 1)` lays it out, then the records one per line.
 * Never one string: a million records are more than V8's longest string.
 */
export function* resultsText(results: ResultsFile): Generator<string> {
  const { records, ...head } = results
  const top = JSON.stringify(head, null, 1)
  yield `${top.slice(0, -2)},\n "records": [`
  let chunk = ''
  for (let i = 0; i < records.length; i++) {
    chunk += `${i ? ',' : ''}\n  ${JSON.stringify(records[i])}`
    if ((i + 1) % RECORDS_PER_CHUNK === 0) {
      yield chunk
      chunk = ''
    }
  }
  yield `${chunk}${records.length ? '\n ' : ''}]\n}\n`
}

/** Writes through a temp file and a rename, so a reader never sees half a file. */
export async function writeResults(path: string, results: ResultsFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeChunksAtomic(path, resultsText(results))
}

/** The same, synchronously: for an exit path where the event loop will not run again. */
export function writeResultsSync(path: string, results: ResultsFile): void {
  mkdirSync(dirname(path), { recursive: true })
  writeChunksAtomicSync(path, resultsText(results))
}
