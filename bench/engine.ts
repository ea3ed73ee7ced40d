// The engine side of B2–B5: drive the embedded llama.cpp Engine/Session API
// directly, without Vitest, so setups differ only in what the engine does:
// prefix reuse on or off, 1, 4 or 8 batched sequences, 1 or 2 threads,
// log-prob or generate scoring.
import type { GgufModelSpec } from '../fixtures/gguf/llama.js'
import { loadSubject } from '../src/dataset/load.js'
import type { Engine } from '../src/backends/backend.js'
import type { ScoringMode } from '../src/config/options.js'
import { openLlamaCppEngine } from '../src/backends/llamacpp.js'
import type { Prompt } from '../src/prompt/prompt.js'
import { fewShotPrefix, formatQuestion, promptText } from '../src/prompt/prompt.js'
import { maxOf } from '../src/base/extent.js'

export interface EngineSetup {
  /** Short label shown in the table. */
  name: string
  sequences: number
  reusePrefix: boolean
  /** Log-prob unless set; generate scoring decodes up to maxTokens more tokens per question, one per step. */
  scoring?: ScoringMode
  maxTokens?: number
}

export interface SetupFigures extends EngineSetup {
  threads: number
  questions: number
  /** From the first question asked to the last answer (context creation excluded). */
  wallMs: number
  questionsPerSecond: number
  /** Σ prompt tokens (what a model without reuse evaluates). */
  promptTokens: number
  /** Σ RawAnswer.evaluatedTokens: what llama.cpp actually evaluated. */
  evaluatedTokens: number
  evaluatedTokensPerSecond: number
  /** Σ tokens generated (generate scoring). */
  completionTokens: number
  /** Context tokens per sequence the session chose. */
  contextSize: number
  /** Each question's engine latency, in the order asked. */
  latenciesMs: number[]
  meanLatencyMs: number
}

/** The first `count` test questions of `subject`, as 5-shot (or `shots`) prompts. */
export async function subjectPrompts(dataDir: string, subject: string, count: number, shots = 5): Promise<Prompt[]> {
  const { dev, test } = await loadSubject(dataDir, subject)
  if (test.length < count) throw new Error(`${subject} has ${test.length} test questions, fewer than the ${count} the benchmark asks`)
  const prefix = fewShotPrefix(subject, dev, shots)
  return test.slice(0, count).map((q) => ({ prefix, suffix: formatQuestion(q), shots }))
}

export async function openBenchEngine(modelPath: string, threads: number): Promise<Engine> {
  return openLlamaCppEngine({ modelPath, reason: 'benchmark model', gpu: 'off', threads, workers: 1 })
}

/** Asks every prompt with `setup.sequences` questions in flight, as a subject file with MMLU_CONCURRENCY would. */
export async function runSetup(engine: Engine, prompts: readonly Prompt[], setup: EngineSetup): Promise<SetupFigures> {
  const longest = maxOf(prompts.map((p) => engine.countTokens!(promptText(p))))
  const session = await engine.openSession({
    scoring: setup.scoring ?? 'logprob',
    concurrency: setup.sequences,
    promptTokens: longest,
    maxTokens: setup.maxTokens ?? 1,
    reusePrefix: setup.reusePrefix,
  })
  const signal = new AbortController().signal
  let next = 0
  let promptTokens = 0
  let evaluatedTokens = 0
  let completionTokens = 0
  const latenciesMs: number[] = new Array(prompts.length)
  const t0 = performance.now()
  let wallMs = 0
  try {
    const lane = async (): Promise<void> => {
      while (next < prompts.length) {
        const i = next++
        const raw = await session.answer(prompts[i]!, signal)
        latenciesMs[i] = raw.latencyMs
        promptTokens += raw.promptTokens
        evaluatedTokens += raw.evaluatedTokens
        completionTokens += raw.completionTokens
      }
    }
    await Promise.all(Array.from({ length: setup.sequences }, lane))
    wallMs = performance.now() - t0
  } finally {
    await session.close()
  }
  return {
    ...setup,
    threads: Number(engine.info.details.threads),
    questions: prompts.length,
    wallMs,
    questionsPerSecond: prompts.length / (wallMs / 1000),
    promptTokens,
    evaluatedTokens,
    evaluatedTokensPerSecond: evaluatedTokens / (wallMs / 1000),
    completionTokens,
    contextSize: Number(session.details.contextSize),
    latenciesMs,
    meanLatencyMs: latenciesMs.reduce((sum, ms) => sum + ms, 0) / latenciesMs.length,
  }
}

/** B2's questions: 200 of a subject whose prompts are near MMLU's mean length (2.6 K chars of 5-shot prefix, 500 per question). */
export const ENGINE_SUBJECT = 'high_school_statistics'
export const ENGINE_QUESTIONS = 200
/**
 * B5: in-file concurrency 1 against 4 (issue 4), in both scoring modes. A
 * log-prob question is one decode of its whole suffix; a generated answer
 * adds a decode per token, and only those small decodes leave batching
 * something to share. 16 tokens leave room for "The answer is (C)."
 */
export const CONCURRENCY_QUESTIONS = 96
export const CONCURRENCY_LEVELS = [1, 4] as const
export const CONCURRENCY_MAX_TOKENS = 16
export const CONCURRENCY_SETUPS: readonly EngineSetup[] = (['logprob', 'generate'] as const).flatMap((scoring) =>
  CONCURRENCY_LEVELS.map((sequences) => ({
    name: `${scoring} ${sequences} seq`,
    sequences,
    reusePrefix: true,
    scoring,
    maxTokens: scoring === 'generate' ? CONCURRENCY_MAX_TOKENS : 1,
  })),
)

/** B4's memory runs: enough questions that every sequence is busy. */
export const MEMORY_QUESTIONS = 48

export const B2_SETUPS: readonly EngineSetup[] = [
  { name: 'naive', sequences: 1, reusePrefix: false },
  { name: 'reuse', sequences: 1, reusePrefix: true },
  { name: 'reuse + 4 seq', sequences: 4, reusePrefix: true },
  { name: 'reuse + 8 seq', sequences: 8, reusePrefix: true },
]

export interface MemoryFigures {
  sequences: number
  questions: number
  /** Resident memory after the model loaded, before any context. */
  rssAfterLoadBytes: number
  /** Peak resident memory of the process (getrusage). */
  peakRssBytes: number
  /** What llama.cpp's KV cache needs: 2 (K, V) × blocks × KV width × f16 × context × sequences. */
  kvCacheBytes: number
  contextSize: number
}

/** Run in a fresh process: the peak is this setup's alone. */
export async function measureMemory(modelPath: string, prompts: readonly Prompt[], sequences: number, threads: number, kvBytesPerToken: number): Promise<MemoryFigures> {
  const engine = await openBenchEngine(modelPath, threads)
  const rssAfterLoadBytes = process.memoryUsage.rss()
  const f = await runSetup(engine, prompts, { name: `${sequences} seq`, sequences, reusePrefix: true })
  return {
    sequences,
    questions: f.questions,
    rssAfterLoadBytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    kvCacheBytes: kvBytesPerToken * f.contextSize * sequences,
    contextSize: f.contextSize,
  }
}

/** KV cache bytes per token of context: K and V, every block, f16 (node-llama-cpp's default cache type). */
export function kvBytesPerToken(spec: GgufModelSpec): number {
  const n = (key: string): number => Number(spec.metadata[key]!.value)
  const kvWidth = (n('llama.embedding_length') / n('llama.attention.head_count')) * n('llama.attention.head_count_kv')
  return 2 * n('llama.block_count') * kvWidth * 2
}
