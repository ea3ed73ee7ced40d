// Ejection (src/backends/ejection.ts): a server failing again and again is
// taken out of the pool for a cool-down that grows, so a server that fails
// fast does not draw the questions for looking the least loaded. The rule on a
// clock the test moves; the dispatcher under Vitest's fake timers, so no count
// here depends on the machine's speed.
import { afterEach, describe, expect, test, vi } from 'vitest'
import { EngineError } from '../src/backends/backend.js'
import type { RawAnswer, Session, SessionRequest } from '../src/backends/backend.js'
import type { DispatchSettings, PoolMember } from '../src/backends/dispatch.js'
import { openServerPool } from '../src/backends/dispatch.js'
import { EJECT_AFTER_FAILURES, EJECT_BASE_MS, EJECT_MAX_MS, Ejection } from '../src/backends/ejection.js'
import { ServerError } from '../src/backends/guard.js'
import { GONE_AFTER_MS } from '../src/backends/server-health.js'
import type { FakeServer } from './helpers/fake-servers.js'
import { fakeServer, promptFor } from './helpers/fake-servers.js'

const request: SessionRequest = { scoring: 'logprob', concurrency: 1, maxTokens: 5 }
const never = () => new AbortController().signal

async function open(servers: FakeServer[], o: Partial<DispatchSettings> = {}): Promise<Session> {
  const members: PoolMember[] = servers.map((s) => ({ engine: s.engine, server: s.engine.info.source }))
  return openServerPool(members, { timeoutMs: 60_000, retries: 2, concurrency: 1, autoMax: 16, backoff: () => 0, ...o }).openSession(request)
}

const garbage = () => new EngineError('the reply is not a completion (no choices[0]): "<html>"')

describe('the rule, on a clock the test moves', () => {
  test(`${EJECT_AFTER_FAILURES} failures in a row eject for ${EJECT_BASE_MS} ms, doubling with each ejection, at most ${EJECT_MAX_MS} ms; an answer starts over`, () => {
    let t = 0
    const e = new Ejection(() => t)
    for (let i = 1; i < EJECT_AFTER_FAILURES; i++) expect(e.failed(true)).toBeUndefined()
    expect(e.ejected).toBe(false)
    expect(e.failed(true)).toBe(EJECT_BASE_MS)
    expect([e.ejected, e.ejectedUntil]).toEqual([true, EJECT_BASE_MS])
    // A request still in flight failing during the cool-down does not extend it.
    t = 500
    expect(e.failed(true)).toBeUndefined()
    expect(e.ejectedUntil).toBe(EJECT_BASE_MS)
    // Back after the cool-down, on probation: its next failure ejects at once, for twice as long, and so on up to the cap.
    const expected: number[] = []
    const got: number[] = []
    for (let k = 1; k <= 8; k++) {
      t = e.ejectedUntil!
      expect([e.ejected, e.probing]).toEqual([false, true])
      expected.push(Math.min(EJECT_MAX_MS, EJECT_BASE_MS * 2 ** k))
      got.push(e.failed(true)!)
    }
    expect(got).toEqual(expected)
    expect(got.at(-1)).toBe(EJECT_MAX_MS)
    // An answer ends it: the next ejection needs the full count again, and starts from the base.
    t = e.ejectedUntil!
    e.answered()
    expect([e.probing, e.count]).toEqual([false, 0])
    for (let i = 1; i < EJECT_AFTER_FAILURES; i++) expect(e.failed(true)).toBeUndefined()
    expect(e.failed(true)).toBe(EJECT_BASE_MS)
  })

  test('the last server still in use is never ejected', () => {
    const e = new Ejection(() => 0)
    for (let i = 0; i < 3 * EJECT_AFTER_FAILURES; i++) expect(e.failed(false)).toBeUndefined()
    expect(e.ejected).toBe(false)
  })
})

describe('two servers, one failing fast (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  /** Asks `n` questions at once and lets the fake clock run until every one has ended. */
  async function askAll(session: Session, n: number): Promise<(RawAnswer | Error)[]> {
    const all = Promise.all(Array.from({ length: n }, (_, i) => session.answer(promptFor(i), never(), `question #${i}`).catch((e: Error) => e)))
    await vi.runAllTimersAsync()
    return all
  }

  test('B answers garbage from its 20th request: B is ejected, then given up; its questions go to A and few become errors', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const a = fakeServer('http://a', { latencyMs: 100 })
    const b = fakeServer('http://b', { latencyMs: 100, fail: (n) => (n >= 20 ? garbage() : undefined) })
    const session = await open([a, b])
    const out = await askAll(session, 300)

    const errors = out.filter((x) => x instanceof Error)
    const bFailed = b.requests.filter((r) => r.outcome === 'failed').length
    // The rule, replayed: EJECT_AFTER_FAILURES garbage replies in a row, then one probe after each cool-down
    // (1, 2, 4, 8 s …) until the failures span GONE_AFTER_MS: that probe gives B up.
    let failures = EJECT_AFTER_FAILURES
    let span = 0
    for (let k = 0; span < GONE_AFTER_MS; k++) {
      span += Math.min(EJECT_MAX_MS, EJECT_BASE_MS * 2 ** k)
      failures++
    }
    expect(bFailed).toBe(failures)
    expect(errors).toHaveLength(bFailed)
    expect(errors.every((e) => e instanceof EngineError && e.server === 'http://b')).toBe(true)
    // Every other question answered once, nearly all by A; none lost, none twice.
    const answered = [...a.requests, ...b.requests].filter((r) => r.outcome === 'answered')
    expect(answered).toHaveLength(300 - errors.length)
    expect(new Set(answered.map((r) => r.suffix)).size).toBe(answered.length)
    expect(b.requests.filter((r) => r.outcome === 'answered')).toHaveLength(19)
    // B given up, and when: the summary names it from this.
    const gone = session.givenUp ?? []
    expect(gone.map((g) => g.server)).toEqual(['http://b'])
    expect(gone[0]!.failingMs).toBeGreaterThanOrEqual(GONE_AFTER_MS)
    expect(gone[0]!.why).toMatch(/^http:\/\/b failed every request for \d+\.\d s and answered none \(last: the reply is not a completion/)
  })

  test('a burst of 503s at B: ejected for a cool-down, back once it answers; every question answered once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const a = fakeServer('http://a', { latencyMs: 100 })
    const b = fakeServer('http://b', { latencyMs: 100, fail: (n) => (n >= 5 && n < 5 + EJECT_AFTER_FAILURES ? new ServerError('HTTP 503: busy', true, 503) : undefined) })
    const session = await open([a, b], { retries: 8 })
    const out = await askAll(session, 100)
    expect(out.filter((x) => x instanceof Error)).toHaveLength(0)
    const answered = [...a.requests, ...b.requests].filter((r) => r.outcome === 'answered').map((r) => r.suffix)
    expect(new Set(answered).size).toBe(100)
    expect(answered).toHaveLength(100)
    // Back in use after its cool-down: it answered after the burst, and was never given up.
    expect(b.requests.filter((r, i) => i >= 4 + EJECT_AFTER_FAILURES && r.outcome === 'answered').length).toBeGreaterThan(0)
    expect(session.givenUp).toEqual([])
  })

  test('one server alone failing fast is never ejected: each question fails there at once, as before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const s = fakeServer('http://a', { fail: () => garbage() })
    const session = await open([s])
    const t0 = Date.now()
    const out = await askAll(session, 12)
    expect(out.every((x) => x instanceof EngineError)).toBe(true)
    expect(s.requests).toHaveLength(12)
    // No cool-down was waited out: the fake clock did not move.
    expect(Date.now() - t0).toBe(0)
  })
})
