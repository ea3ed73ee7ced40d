// The per-question record: the one type that flows end to end (test meta →
// reporter → results JSON, answer cache, baseline and comparisons), with the
// other types several stages share (the answer letters, what engine ran, an
// engine's raw reply). It imports nothing of ours, so the dataset, backends,
// scoring, answer cache and results all use it without importing each other.

/** Every answer letter, in order: a question with n options uses the first n. */
export const LETTERS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'] as const
export type Letter = (typeof LETTERS)[number]

/** Next-token probabilities of a question's answer letters (log-prob scoring): A-D for MMLU, up to J for a question set of your own. */
export type LetterProbabilities = Partial<Record<Letter, number>>

/**
 * Probabilities as text, in the order given: three decimals (`0.644`), tiny
 * values in exponent form (`3.12e-5`, not `0.000`), and one more digit at a
 * time until values that differ are shown differently.
 */
export function formatProbabilities(values: readonly number[]): string[] {
  const distinct = new Set(values).size
  const show = (v: number, extra: number): string =>
    !Number.isFinite(v) ? String(v) : v === 0 || Math.abs(v) >= 1e-3 ? v.toFixed(3 + extra) : v.toExponential(2 + extra)
  for (let extra = 0; ; extra++) {
    const shown = values.map((v) => show(v, extra))
    if (extra >= 14 || new Set(shown).size === distinct) return shown
  }
}

/**
 * - invalid: an answer came back, but no letter could be read from it;
 * - error: the question was asked and failed (the engine, the server, a prompt too long);
 * - not-asked: the run could not put it to the model at all (NotAskedError,
 *   e.g. the server is gone); it is outside every accuracy and the run exits 1.
 */
export type Outcome = 'correct' | 'wrong' | 'invalid' | 'error' | 'not-asked'

/** One question's outcome: what was asked, what came back, how long it took. */
export interface QuestionRecord {
  subject: string
  index: number
  /** A short hash of the question, its options and its key (answer-cache.ts questionHash). */
  questionHash?: string
  expected: Letter
  /** The model's letter; null when it gave none (invalid) or the question errored. */
  given: Letter | null
  outcome: Outcome
  /** Next-token probabilities of the question's letters (log-prob scoring). */
  probabilities?: LetterProbabilities
  /** The spelling the probabilities were read from: `spaced` " A" (after a raw `Answer:`, as lm-eval scores) or `bare` "A" (a chat reply's start). */
  letterForm?: 'spaced' | 'bare'
  /** How many options the question had, when not MMLU's four. */
  options?: number
  /** Raw model output (generated text, or the top token in log-prob scoring). */
  text: string
  /** Few-shot examples actually used (fewer than asked when the context is too small). */
  shots: number
  promptTokens: number
  evaluatedTokens: number
  completionTokens: number
  /** Epoch ms when the engine started on the question. */
  startedAt: number
  latencyMs: number
  error?: string
  /** Why no letter could be read from the answer (outcome invalid). */
  invalidReason?: string
  /** Answered in an earlier run and taken from the answer cache: no engine call, no timing. */
  cached?: boolean
  /** Which server answered (redacted base URL), when the run spread questions over several. */
  server?: string
  /** Which of MMLU_TRIALS asks this was (1 … N); absent when each question is asked once. */
  trial?: number
  /**
   * MMLU_ROTATE=on: how many letters every option moved down (0 … n−1), so
   * `expected` and `given` are letters of the rotated question; absent when off.
   */
  rotation?: number
}

/** `astronomy#12`: one question, whatever its trials and rotations. */
export function questionKey(r: Pick<QuestionRecord, 'subject' | 'index'>): string {
  return `${r.subject}#${r.index}`
}

/**
 * `astronomy#12`, `astronomy#12/t2/r1`: one ask of a question. Everything that
 * pairs or looks up records (the answer cache, the baseline gate, the page's
 * links) keys by this, so trials and rotations never collide.
 */
export function recordKey(r: Pick<QuestionRecord, 'subject' | 'index' | 'trial' | 'rotation'>): string {
  return `${questionKey(r)}${variantSuffix(r)}`
}

/** `/t2/r1`, or empty for a plain ask. */
export function variantSuffix(v: Pick<QuestionRecord, 'trial' | 'rotation'>): string {
  return `${v.trial !== undefined ? `/t${v.trial}` : ''}${v.rotation !== undefined ? `/r${v.rotation}` : ''}`
}

/** A fresh answer, with a timing of this run: not an error, not unasked, not from the answer cache. */
export function isTimed(r: Pick<QuestionRecord, 'outcome' | 'cached'>): boolean {
  return r.outcome !== 'error' && r.outcome !== 'not-asked' && !r.cached
}

/** What ran, recorded in the run header and the results file. */
export interface EngineInfo {
  /** `llama.cpp`, `ollama`, `openai`, … */
  engine: string
  /** Human name of the model: a file name or a server's model tag. */
  model: string
  /** Where the weights came from (a file path or a server URL). */
  source: string
  /** The server(s) that answer, as base URLs without credentials; undefined for an embedded model file. Part of the answer cache's key. */
  server?: string
  /** Content digest of the weights, e.g. `sha256:…`, when known. */
  digest?: string
  /**
   * Everything an OpenAI-compatible server reports about the model id (its
   * /models entry: vLLM's root, llama.cpp's meta, owned_by, …), as canonical
   * JSON, when it reports one. The API has no digest: this is what tells other
   * weights under the same id apart, so it is part of the answer cache's key.
   */
  identity?: string
  /** Why this engine and these weights were chosen. */
  reason: string
  /** Engine-specific facts: threads, GPU, server version, … */
  details: Record<string, string | number | boolean>
  /** Answered by the project's test double, not a model (src/base/simulated.ts); absent for a real engine. */
  simulated?: true
}

/** An engine's raw reply to one prompt; the letter is decided above, in scoring. */
export interface RawAnswer {
  /** Next-token probabilities of ` A`…` D` (log-prob scoring). */
  probabilities?: LetterProbabilities
  /** Which spelling of the letters `probabilities` were read from: " A" after a raw `Answer:`, "A" at the start of a chat reply. */
  letterForm?: 'spaced' | 'bare'
  /** Generated text, or the most likely letter's text in log-prob scoring. */
  text: string
  promptTokens: number
  /** Tokens actually evaluated for this prompt, after any prefix reuse. */
  evaluatedTokens: number
  completionTokens: number
  /** Epoch ms when the engine started on this prompt, and how long it took. */
  startedAt: number
  latencyMs: number
  /** Which server answered (redacted base URL), when the engine spreads questions over several. */
  server?: string
}
