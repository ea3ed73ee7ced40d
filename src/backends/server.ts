// What the server backends (Ollama, OpenAI-compatible) share: turning their
// transport failures into ServerErrors the retry loop understands, reading the
// four letters from a token's top log-probs, and keeping credentials out of
// anything printed.
import type { Letter } from '../dataset/question.js'
import type { LetterProbabilities } from '../base/record.js'
import { EngineError } from './backend.js'
import { connectionFailure, failedBeforeSending, retryableStatus, ServerError } from './guard.js'

/**
 * Query parameters that carry a credential: `key` (Google's), `api_key`,
 * `apikey`, `x-api-key`, `access_token`, `token`, `secret`, `password`,
 * `auth`, `sig`/`signature` (signed URLs), `credential`. `api-version` is not one.
 */
const KEY_LIKE = /(^|[^a-z])(key|token|secret|passw(or)?d|pwd|auth|authorization|sig|signature|credentials?)$|^(api|access|secret|private|client)_?key|apikey/i

const REDACTED = '[redacted]'

function splitQuery(search: string): [string, string][] {
  return search
    .replace(/^\?/, '')
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=')
      return i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)]
    })
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    return text
  }
}

const keyLike = (name: string) => KEY_LIKE.test(decoded(name))

/**
 * A URL for messages and provenance: no user name or password, and the value
 * of every query parameter named like a key replaced by `[redacted]`.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    const query = splitQuery(u.search)
    if (!u.username && !u.password && !query.some(([name]) => keyLike(name))) return url
    u.username = ''
    u.password = ''
    const search = query.map(([name, value]) => `${name}=${keyLike(name) ? REDACTED : value}`).join('&')
    u.search = ''
    return `${u.toString().replace(/\/$/, '')}${search ? `?${search}` : ''}${u.hash}`
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//').replace(/([?&][^=&#]*=)[^&#]*/g, (m, name: string) => (keyLike(name.slice(1, -1)) ? `${name}${REDACTED}` : m))
  }
}

/** The credentials in a URL, to scrub from any text: its password, and the values of query parameters named like keys (as written and decoded). */
export function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url)
    const out = new Set<string>()
    if (u.password) {
      out.add(u.password)
      out.add(decoded(u.password))
    }
    for (const [name, value] of splitQuery(u.search)) {
      if (!keyLike(name) || value === '') continue
      out.add(value)
      out.add(decoded(value))
    }
    return [...out]
  } catch {
    return []
  }
}

/** Every secret of a run: the API key and the credentials in each server URL. */
export function secretsOf(o: { apiKey?: { reveal(): string } | undefined; openaiBaseUrls: readonly string[]; ollamaHosts: readonly string[] }): string[] {
  const key = o.apiKey?.reveal()
  return [...new Set([...(key ? [key] : []), ...o.openaiBaseUrls.flatMap(urlSecrets), ...o.ollamaHosts.flatMap(urlSecrets)])]
}

/**
 * Shorter secrets are not scrubbed from free text: erasing every "A" or "no"
 * from an answer would change what was said. (They are still redacted in URLs.)
 */
export const SCRUB_MIN_LENGTH = 4

/**
 * Removes every occurrence of the secrets from a text: a server's error body
 * or answer that echoes the key. Longest first, so a secret that contains
 * another is removed whole.
 */
export function scrub(text: string, secrets: string | undefined | readonly string[]): string {
  const list = (typeof secrets === 'string' ? [secrets] : (secrets ?? [])).filter((s) => s.length >= SCRUB_MIN_LENGTH).sort((a, b) => b.length - a.length)
  let out = text
  for (const s of list) if (out.includes(s)) out = out.split(s).join(REDACTED)
  return out
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
