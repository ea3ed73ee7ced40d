// B4, growth: the whole harness (spawned Vitest, suite glue, reporter, results
// file) with the small random model on 50, 100, 200 and 400 questions of one
// subject. Time per question must stay flat: anything that grows per question
// (an O(n²) in the reporter or the results) shows as a rising marginal cost.
// llama.cpp runs on one thread here: on a machine shared with other work, two
// threads swing between fast and 5× slower (see docs/performance.md), which
// would drown the growth this part looks for.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { QuestionRecord, ResultsFile } from '../src/run/results.js'
import { spawnVitest } from './vitest-child.js'

/** 612 test questions; prompts near MMLU's mean length (2.3 K chars of 5-shot prefix, 360 per question). */
export const GROWTH_SUBJECT = 'professional_psychology'
export const GROWTH_SIZES = [50, 100, 200, 400] as const

export interface GrowthPoint {
  questions: number
  /** First question's start → last question's end, as the reporter measures it. */
  subjectWallMs: number
  msPerQuestion: number
  /** Cost of the questions added since the previous size: (Δ wall) ÷ (Δ questions). */
  marginalMsPerQuestion: number | undefined
  /** The spawned process, start to exit (startup and model load included). */
  processMs: number
  evaluatedTokens: number
}

/** One quarter of the largest run, in question order: load noise hits all quarters alike, growth does not. */
export interface GrowthQuarter {
  questions: string
  /** Mean engine latency per question. */
  engineMs: number
  /** Mean time between one question's end and the next one's start: the harness's own share. */
  harnessGapMs: number
}

export interface GrowthFigures {
  subject: string
  command: string
  threads: number
  points: GrowthPoint[]
  quarters: GrowthQuarter[]
}

/** Splits the records of one run (1 sequence) into quarters by question order. */
export function quarters(records: readonly QuestionRecord[]): GrowthQuarter[] {
  const byIndex = [...records].sort((a, b) => a.index - b.index)
  // Each question but the last, with the wait until the next one started.
  const steps = byIndex.slice(0, -1).map((r, i) => ({ r, gap: byIndex[i + 1]!.startedAt - (r.startedAt + r.latencyMs) }))
  const size = Math.floor(steps.length / 4)
  if (size === 0) return []
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
  return [0, 1, 2, 3].map((q) => {
    const part = steps.slice(q * size, q === 3 ? steps.length : (q + 1) * size)
    return {
      questions: `${part[0]!.r.index + 1}–${part.at(-1)!.r.index + 1}`,
      engineMs: mean(part.map((p) => p.r.latencyMs)),
      harnessGapMs: mean(part.map((p) => p.gap)),
    }
  })
}

export async function measureGrowth(dataDir: string, modelPath: string, threads: number, sizes: readonly number[] = GROWTH_SIZES): Promise<GrowthFigures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-bench-b4-'))
  const points: GrowthPoint[] = []
  let command = ''
  let last: QuestionRecord[] = []
  try {
    for (const n of sizes) {
      const resultsFile = path.join(dir, `growth-${n}.json`)
      const env = { MMLU_DATA_DIR: dataDir, MMLU_MODEL: modelPath, MMLU_LIMIT: String(n), MMLU_THREADS: String(threads), MMLU_GPU: 'off', MMLU_RESULTS: resultsFile }
      const run = await spawnVitest([`evals/${GROWTH_SUBJECT}`], env, 600_000)
      command = run.command
      if (run.code !== 0) throw new Error(`B4: ${run.command} exited ${run.code}:\n${run.output.slice(-3000)}`)
      const results = JSON.parse(await readFile(resultsFile, 'utf8')) as ResultsFile
      const subject = results.subjects[0]!
      if (subject.total !== n) throw new Error(`B4: asked ${n} questions, the results hold ${subject.total}`)
      last = results.records
      const previous = points.at(-1)
      points.push({
        questions: n,
        subjectWallMs: subject.wallMs,
        msPerQuestion: subject.wallMs / n,
        marginalMsPerQuestion: previous ? (subject.wallMs - previous.subjectWallMs) / (n - previous.questions) : undefined,
        processMs: run.ms,
        evaluatedTokens: subject.evaluatedTokens,
      })
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  return { subject: GROWTH_SUBJECT, command, threads, points, quarters: quarters(last) }
}
