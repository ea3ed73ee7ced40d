// The interface every engine implements. It is deliberately small: an engine
// loads a model once per worker, a session is one subject file's view of it,
// and a session answers one prompt at a time per call. Scoring (letter from
// probabilities or text), context fitting, timeouts and concurrency limits
// live above this interface, in shared code, not in each backend.
import type { ScoringMode } from '../config/options.js'
import type { Prompt } from '../prompt/prompt.js'
import type { EngineInfo, RawAnswer } from '../base/record.js'

// What ran and a raw reply: shared with scoring, records and results, so they live below every stage.
export type { EngineInfo, RawAnswer } from '../base/record.js'

export interface SessionRequest {
  scoring: ScoringMode
  /** Questions this session may have in flight at once. */
  concurrency: number
  /** Tokens the longest prompt of the subject needs, when the engine can count them. */
  promptTokens?: number
  /** Tokens generated per question in generate scoring. */
  maxTokens: number
  /** Reuse what a sequence evaluated last (the few-shot prefix); default true. `false` is the naive baseline of bench B2. */
  reusePrefix?: boolean
}

export interface Session {
  /** Sizes the engine actually chose, e.g. context tokens and sequences; read again after the questions (auto concurrency is known then). */
  readonly details: Record<string, string | number | boolean>
  /** `label` names the question in messages (`question #12`); engines may ignore it. */
  answer(prompt: Prompt, signal: AbortSignal, label?: string): Promise<RawAnswer>
  close(): Promise<void>
  /** Servers given up so far (several servers); read after the questions, like `details`. */
  readonly givenUp?: readonly ServerGivenUp[]
}

/** A server given up during the run, as the summary names it. */
export interface ServerGivenUp {
  server: string
  /** When (ms since the epoch, Date.now's clock). */
  at: number
  /** How long it had failed every request by then. */
  failingMs: number
  why: string
}

export interface Engine {
  readonly info: EngineInfo
  /** Scoring modes this engine supports, best first. */
  readonly scoringModes: readonly ScoringMode[]
  /** The model's trained context, when known: prompts are fitted to it. */
  readonly trainedContextTokens?: number
  /** Exact token count of a prompt (in a chat format, with its turns), when the engine can tokenize locally; a string is one message. */
  countTokens?(prompt: Prompt | string): number
  /** The most questions in flight that can pay on this engine; MMLU_CONCURRENCY=auto tries no higher. */
  readonly concurrencyLimit?: number
  openSession(request: SessionRequest): Promise<Session>
}

/** A failure of the engine or its input, as opposed to a wrong answer. */
export class EngineError extends Error {
  override name = 'EngineError'
  /** The server the failure came from, when the run has several (a redacted base URL). */
  server?: string
}

/**
 * The question was never put to the model, e.g. every server it could go to
 * is unreachable. It is recorded as `not-asked` (outside every accuracy, and
 * the run exits 1), not as an error of that one question; a rerun asks it.
 */
export class NotAskedError extends EngineError {
  override name = 'NotAskedError'
}
