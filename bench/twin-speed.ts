// B3: the honest cost of Llama 3.2 1B's compute on this CPU, measured on its
// random-weight twin (same shapes, Q8_0, real Llama 3 vocabulary): seconds per
// astronomy question at 0-shot and 5-shot (with prefix reuse), and peak memory.
// Each shot count runs in its own process, so each peak is its own.
import { openBenchEngine, runSetup, subjectPrompts } from './engine.js'

export const TWIN_QUESTIONS = 20

export interface TwinSpeedFigures {
  shots: number
  questions: number
  threads: number
  /** Model load, sha256 of the file included (as a real run does it). */
  loadMs: number
  secondsPerQuestion: number
  /** The first question: at 5-shot it evaluates the whole few-shot prefix. */
  firstQuestionSeconds: number
  /** The rest, once the prefix is in the sequence. */
  laterSecondsPerQuestion: number
  meanPromptTokens: number
  evaluatedTokens: number
  evaluatedTokensPerSecond: number
  peakRssBytes: number
  contextSize: number
}

/** One shot count in this process: load, then ask the first `count` astronomy questions one after another. */
export async function measureTwin(modelPath: string, dataDir: string, shots: number, count: number, threads: number): Promise<TwinSpeedFigures> {
  const prompts = await subjectPrompts(dataDir, 'astronomy', count, shots)
  const t0 = performance.now()
  const engine = await openBenchEngine(modelPath, threads)
  const loadMs = performance.now() - t0
  const run = await runSetup(engine, prompts, { name: `${shots}-shot`, sequences: 1, reusePrefix: true })
  const [first = 0, ...later] = run.latenciesMs
  return {
    shots,
    questions: count,
    threads: run.threads,
    loadMs,
    secondsPerQuestion: run.wallMs / 1000 / count,
    firstQuestionSeconds: first / 1000,
    laterSecondsPerQuestion: later.reduce((a, b) => a + b, 0) / 1000 / Math.max(1, later.length),
    meanPromptTokens: run.promptTokens / count,
    evaluatedTokens: run.evaluatedTokens,
    evaluatedTokensPerSecond: run.evaluatedTokensPerSecond,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    contextSize: run.contextSize,
  }
}
