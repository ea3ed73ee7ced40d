// Shared protection around any backend call, so no backend copies it:
// - a deadline that aborts the call and rejects, so a hung engine or server
//   never hangs the run;
// - bounded retries with backoff, for failures a backend marks as retryable
//   (connection resets, 429, 5xx). Nothing else is ever sent twice.
import { EngineError } from './backend.js'

export class TimeoutError extends EngineError {
  override name = 'TimeoutError'
}

export async function withTimeout<T>(call: (signal: AbortSignal) => Promise<T>, ms: number, what: string): Promise<T> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new TimeoutError(`${what} timed out after ${ms} ms (MMLU_TIMEOUT_MS)`)
      controller.abort(err)
      reject(err)
    }, ms)
  })
  try {
    return await Promise.race([call(controller.signal), deadline])
  } finally {
    clearTimeout(timer)
  }
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

/** The connection failure behind an error (fetch wraps it in `cause`), in words; undefined when it is something else. */
export function connectionFailure(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && code in CONNECTION_FAILURES) return `${CONNECTION_FAILURES[code]} (${code})`
  }
  return undefined
}

export const RETRY_BASE_DELAY_MS = 200
export const RETRY_MAX_DELAY_MS = 5_000

/** Exponential backoff with jitter (half to full), so queued clients do not come back in step. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** attempt)
  return Math.round(ceiling * (0.5 + random() / 2))
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Calls `call` until it succeeds, at most `retries` + 1 times. Only a
 * `ServerError` marked retryable is tried again, after a backoff; anything
 * else, an aborted signal (the question's deadline) or the last failure is
 * thrown, with the number of attempts in its message.
 */
export async function withRetries<T>(call: (signal: AbortSignal) => Promise<T>, signal: AbortSignal, retries: number, delay: (attempt: number) => number = backoffMs): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call(signal)
    } catch (e) {
      if (signal.aborted) throw signal.reason
      if (!(e instanceof ServerError && e.retryable)) throw e
      if (attempt >= retries) {
        throw new ServerError(`${e.message} (gave up after ${attempt + 1} attempt${attempt === 0 ? '' : 's'}, MMLU_RETRIES=${retries})`, false, e.status)
      }
      await sleep(delay(attempt), signal)
    }
  }
}
