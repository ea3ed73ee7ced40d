// What a failed backend call is, shared so no backend copies it:
// - a ServerError says whether trying again may help (connection failures,
//   429, 5xx) and whether the request reached the server; a TimeoutError is a
//   deadline passed;
// - the backoff between retries. The retry loop, the deadlines that abort a
//   call and the server's health are the dispatcher's (dispatch.ts).
import { EngineError } from './backend.js'

export class TimeoutError extends EngineError {
  override name = 'TimeoutError'
}

/**
 * A server request that failed. `retryable` is decided by the backend that saw
 * the failure (see `retryableStatus`, `connectionFailure`); the retry loop
 * trusts only this flag. Its `name` stays `EngineError`, so reporters print it
 * as one of our complete messages.
 */
export class ServerError extends EngineError {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    /** False when the connection failed before the request was sent (refused): the server never saw the question. */
    readonly reached: boolean = true,
  ) {
    super(message)
  }
}

/** 429 (rate limited) and 5xx (including 503, a full queue) may pass; other statuses will not. */
export function retryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599)
}

// Failures of the connection itself (Node's net errors and undici's, as fetch
// reports them in `cause`), with words a user understands. ENOTFOUND is left
// out: a wrong host name does not fix itself.
const CONNECTION_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EAI_AGAIN: 'name lookup failed temporarily',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
}

// Failures that happen while connecting, before a byte of the request is sent.
const BEFORE_SENDING = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'])

function connectionCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && code in CONNECTION_FAILURES) return code
  }
  return undefined
}

/** The connection failure behind an error (fetch wraps it in `cause`), in words; undefined when it is something else. */
export function connectionFailure(error: unknown): string | undefined {
  const code = connectionCode(error)
  return code ? `${CONNECTION_FAILURES[code]} (${code})` : undefined
}

/** Whether a connection failure happened before the request was sent (refused, unreachable): the server never saw it. */
export function failedBeforeSending(error: unknown): boolean {
  const code = connectionCode(error)
  return code !== undefined && BEFORE_SENDING.has(code)
}

/**
 * Backoff between retries: 0.25 s doubling to a 4 s ceiling. With the default
 * MMLU_RETRIES (8) a question keeps trying for 10-20 s (jitter), which spans a
 * server restart of a few seconds or a burst of 503s; a server that stays down
 * is given up sooner than that, by the rule in server-health.ts.
 */
export const RETRY_BASE_DELAY_MS = 250
export const RETRY_MAX_DELAY_MS = 4_000

/** Exponential backoff with jitter (half to full), so queued clients do not come back in step. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** attempt)
  return Math.round(ceiling * (0.5 + random() / 2))
}
