// The shared retry and deadline code around every backend call.
import { describe, expect, test } from 'vitest'
import { EngineError } from '../src/backends/backend.js'
import { backoffMs, connectionFailure, RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS, retryableStatus, ServerError, TimeoutError, withRetries, withTimeout } from '../src/backends/guard.js'

const noDelay = () => 0

/** A call that fails with the given errors in turn, then answers 'ok'; it counts its calls. */
function flaky(...errors: Error[]) {
  const calls = { n: 0 }
  const call = async () => {
    const e = errors[calls.n++]
    if (e) throw e
    return 'ok'
  }
  return { calls, call }
}

describe('withRetries', () => {
  test('a retryable failure is tried again until it succeeds, within the bound', async () => {
    const { calls, call } = flaky(new ServerError('503', true, 503), new ServerError('reset', true))
    await expect(withRetries(call, new AbortController().signal, 2, noDelay)).resolves.toBe('ok')
    expect(calls.n).toBe(3)
  })

  test('after retries + 1 attempts the last failure is thrown, final, with the count', async () => {
    const { calls, call } = flaky(...Array.from({ length: 5 }, () => new ServerError('HTTP 503: busy', true, 503)))
    const err = await withRetries(call, new AbortController().signal, 2, noDelay).catch((e: unknown) => e)
    expect(calls.n).toBe(3)
    expect(err).toBeInstanceOf(ServerError)
    expect(err).toMatchObject({ message: 'HTTP 503: busy (gave up after 3 attempts, MMLU_RETRIES=2)', retryable: false, status: 503, name: 'EngineError' })
  })

  test('MMLU_RETRIES=0 sends once', async () => {
    const { calls, call } = flaky(new ServerError('reset', true))
    await expect(withRetries(call, new AbortController().signal, 0, noDelay)).rejects.toThrow('reset (gave up after 1 attempt, MMLU_RETRIES=0)')
    expect(calls.n).toBe(1)
  })

  test.each([
    ['a final ServerError (HTTP 400)', new ServerError('HTTP 400', false, 400)],
    ['a plain EngineError', new EngineError('bad reply')],
    ['any other error', new TypeError('bug')],
  ])('%s is never retried', async (_, error) => {
    const { calls, call } = flaky(error)
    await expect(withRetries(call, new AbortController().signal, 5, noDelay)).rejects.toBe(error)
    expect(calls.n).toBe(1)
  })

  test('an abort during the backoff ends the wait with the abort reason, and no further attempt', async () => {
    const controller = new AbortController()
    const { calls, call } = flaky(new ServerError('reset', true))
    const reason = new TimeoutError('question #1 timed out')
    const pending = withRetries(call, controller.signal, 3, () => 60_000)
    setTimeout(() => controller.abort(reason), 20)
    await expect(pending).rejects.toBe(reason)
    expect(calls.n).toBe(1)
  })

  test('inside withTimeout: the deadline covers every attempt and its backoff', async () => {
    let calls = 0
    const call = async () => {
      calls++
      throw new ServerError('reset', true)
    }
    const t0 = performance.now()
    await expect(withTimeout((signal) => withRetries(call, signal, 10, () => 100), 250, 'question #7')).rejects.toThrow('question #7 timed out after 250 ms (MMLU_TIMEOUT_MS)')
    expect(performance.now() - t0).toBeLessThan(2_000)
    // Attempts at 0, 100 and 200 ms at the most: the fourth would start after the deadline.
    expect(calls).toBeGreaterThanOrEqual(1)
    expect(calls).toBeLessThanOrEqual(3)
  })
})

describe('backoff and classification', () => {
  test('backoff doubles from the base, with jitter between half and all of it, capped', () => {
    expect([0, 1, 2, 3].map((a) => backoffMs(a, () => 1))).toEqual([RETRY_BASE_DELAY_MS, RETRY_BASE_DELAY_MS * 2, RETRY_BASE_DELAY_MS * 4, RETRY_BASE_DELAY_MS * 8])
    expect(backoffMs(1, () => 0)).toBe(RETRY_BASE_DELAY_MS)
    expect(backoffMs(20, () => 1)).toBe(RETRY_MAX_DELAY_MS)
  })

  test('retryable statuses: 429 and 5xx only', () => {
    expect([429, 500, 502, 503, 504].every(retryableStatus)).toBe(true)
    expect([200, 400, 401, 404, 408, 413].some(retryableStatus)).toBe(false)
  })

  test('connection failures are found in the cause chain, as fetch reports them', () => {
    const fetchFailed = new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) })
    expect(connectionFailure(fetchFailed)).toBe('connection reset (ECONNRESET)')
    const wrapped = new Error('Connection error.', { cause: new TypeError('terminated', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }) })
    expect(connectionFailure(wrapped)).toBe('connection closed by the server (UND_ERR_SOCKET)')
    // A wrong host name does not fix itself: not a retryable connection failure.
    expect(connectionFailure(new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }) }))).toBeUndefined()
    expect(connectionFailure(new Error('plain'))).toBeUndefined()
  })
})
