// The per-question record: the one type that flows end to end (test meta →
// reporter → results JSON, answer cache, baseline and comparisons). It sits
// below the backends, scoring, summaries and results, and imports nothing of
// theirs, so the flow dataset → prompt → backend → scoring → record → summary
// → results reads one way.
import type { Letter } from '../dataset/question.js'

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
