// What the server backends (Ollama, OpenAI-compatible) share: turning their
// transport failures into ServerErrors the retry loop understands, reading the
// four letters from a token's top log-probs, and keeping credentials out of
// anything printed.
import type { Letter } from '../dataset/question.js'
import type { LetterProbabilities } from '../record.js'
import { EngineError } from './backend.js'
import { connectionFailure, failedBeforeSending, retryableStatus, ServerError } from './guard.js'

/** A URL without user name or password, for messages and provenance. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (!u.username && !u.password) return url
    u.username = ''
    u.password = ''
    return u.toString().replace(/\/$/, '')
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//')
  }
}

/** Removes every occurrence of a secret from a text, e.g. a server's error body that echoes the key. */
export function scrub(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('[redacted]') : text
}

/**
 * Any failure of one request → an EngineError for the question:
 * - our own deadline: the abort reason (a TimeoutError), unchanged;
 * - an HTTP status: retryable for 429 and 5xx, final otherwise;
 * - a connection failure (refused, reset, closed mid-body): retryable, and
 *   marked as not reaching the server when it failed before sending;
 * - anything else (a malformed reply): final.
 */
export function requestFailure(error: unknown, signal: AbortSignal, where: string, status: number | undefined, message: string): EngineError {
  if (signal.aborted && signal.reason instanceof EngineError) return signal.reason
  if (status !== undefined) return new ServerError(`${where}: HTTP ${status}: ${message}`, retryableStatus(status), status)
  const connection = connectionFailure(error)
  if (connection) return new ServerError(`${where}: ${connection}`, true, undefined, !failedBeforeSending(error))
  return new EngineError(`${where}: ${message}`)
}

export interface TopLogprob {
  token: string
  logprob: number
}

/**
 * How the letter is spelled where it is read:
 * - `spaced`: " A", the continuation lm-evaluation-harness scores after a raw
 *   prompt's `Answer:` (and the raw pieces "▁A" of SentencePiece and "ĠA" of
 *   byte-level BPE, which are the same token);
 * - `bare`: "A", the first token of a chat reply, which starts fresh.
 */
export type LetterForm = 'spaced' | 'bare'

/** The form a prompt format reads: raw text continues `Answer:`, a chat reply starts anew. */
export function letterFormOf(chat: boolean): LetterForm {
  return chat ? 'bare' : 'spaced'
}

// Up to J: a question set of your own may have ten options (scoring keeps the question's own letters).
const SPACED = /^[ ▁Ġ]([A-J])$/
const BARE = /^([A-J])$/

/**
 * The letters' probabilities (A-D always, E-J where listed) from the top log-probs of the first
 * generated token, reading only the one spelling the reference scores (see
 * LetterForm). The other spelling is a different continuation, not the same
 * answer: adding it would let {" B": .30, "A": .20, " A": .15} pick A where
 * lm-eval picks B. A letter absent from the top-k list gets 0: it was less
 * likely than every listed token, so it cannot be the argmax.
 */
export function lettersFromTopLogprobs(top: readonly TopLogprob[], form: LetterForm): LetterProbabilities {
  const p: LetterProbabilities = { A: 0, B: 0, C: 0, D: 0 }
  const pattern = form === 'spaced' ? SPACED : BARE
  for (const { token, logprob } of top) {
    const letter = pattern.exec(token)?.[1] as Letter | undefined
    // A server may list one spelling twice (two raw pieces that print alike): the most likely counts.
    if (letter && Number.isFinite(logprob)) p[letter] = Math.max(p[letter] ?? 0, Math.exp(logprob))
  }
  return p
}
