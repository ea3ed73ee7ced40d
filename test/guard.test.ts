// What a failure is (retryable or not, sent or not) and the backoff between
// retries; the retry loop itself is tested with the dispatcher (dispatch.test.ts).
import { describe, expect, test } from 'vitest'
import { backoffMs, connectionFailure, failedBeforeSending, RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS, retryableStatus } from '../src/backends/guard.js'

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

  test('refused before sending vs dropped after: only the first never reached the server', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) })
    const reset = new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) })
    expect([failedBeforeSending(refused), failedBeforeSending(reset), failedBeforeSending(new Error('x'))]).toEqual([true, false, false])
  })

  test('the default retries span a restart of a few seconds: MMLU_RETRIES=8 waits 9.9-19.8 s in all', () => {
    const total = (r: () => number) => Array.from({ length: 8 }, (_, a) => backoffMs(a, r)).reduce((x, y) => x + y, 0)
    expect([total(() => 0), total(() => 1)]).toEqual([9_875, 19_750])
  })
})
