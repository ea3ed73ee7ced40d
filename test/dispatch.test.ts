// The dispatcher's rules (src/backends/dispatch.ts), on in-process fake
// servers: retries and their bounds, the deadline that does not count a queue
// that moves, the rule that gives a server up, several servers sharing the
// questions, and auto concurrency.
import { describe, expect, test } from 'vitest'
import { AUTO_MIN_GAIN, AUTO_SAMPLES, AutoConcurrency } from '../src/backends/auto-concurrency.js'
import { EngineError, NotAskedError } from '../src/backends/backend.js'
import type { Session, SessionRequest } from '../src/backends/backend.js'
import type { DispatchSettings, PoolMember } from '../src/backends/dispatch.js'
import { openServerPool } from '../src/backends/dispatch.js'
import { ServerError, TimeoutError } from '../src/backends/guard.js'
import { ServerHealth } from '../src/backends/server-health.js'
import type { FakeServer } from './helpers/fake-servers.js'
import { fakeServer, promptFor } from './helpers/fake-servers.js'

const request: SessionRequest = { scoring: 'logprob', concurrency: 1, maxTokens: 5 }
const settings = (o: Partial<DispatchSettings> = {}): DispatchSettings => ({ timeoutMs: 10_000, retries: 2, concurrency: 1, autoMax: 16, backoff: () => 0, ...o })
const never = () => new AbortController().signal

async function open(servers: FakeServer[], o: Partial<DispatchSettings> = {}): Promise<Session> {
  const members: PoolMember[] = servers.map((s) => ({ engine: s.engine, server: s.engine.info.source }))
  return openServerPool(members, settings(o)).openSession(request)
}

const busy = (status = 503) => new ServerError(`HTTP ${status}: busy`, true, status)
const reset = () => new ServerError('connection reset (ECONNRESET)', true)
const refused = () => new ServerError('connection refused (ECONNREFUSED)', true, undefined, false)

describe('retries', () => {
  test('a retryable failure is tried again until it succeeds, within the bound', async () => {
    const s = fakeServer('http://a', { fail: (n) => [busy(), reset()][n - 1] })
    const a = await (await open([s])).answer(promptFor(1), never(), 'question #1')
    expect(a.text).toBe(' B')
    expect(s.requests).toHaveLength(3)
  })

  test('after retries + 1 attempts the last failure is final, with the count', async () => {
    const s = fakeServer('http://a', { fail: () => busy() })
    const err = await (await open([s])).answer(promptFor(1), never()).catch((e: unknown) => e)
    expect(s.requests).toHaveLength(3)
    expect(err).toBeInstanceOf(ServerError)
    expect(err).toMatchObject({ message: 'HTTP 503: busy (gave up after 3 attempts, MMLU_RETRIES=2)', retryable: false, status: 503, name: 'EngineError' })
  })

  test('MMLU_RETRIES=0 sends once', async () => {
    const s = fakeServer('http://a', { fail: () => reset() })
    await expect((await open([s], { retries: 0 })).answer(promptFor(1), never())).rejects.toThrow('connection reset (ECONNRESET) (gave up after 1 attempt, MMLU_RETRIES=0)')
    expect(s.requests).toHaveLength(1)
  })

  test.each([
    ['a final ServerError (HTTP 400)', new ServerError('HTTP 400', false, 400)],
    ['a plain EngineError', new EngineError('bad reply')],
    ['any other error', new TypeError('bug')],
  ])('%s is never retried', async (_, error) => {
    const s = fakeServer('http://a', { fail: () => error })
    await expect((await open([s], { retries: 5 })).answer(promptFor(1), never())).rejects.toBe(error)
    expect(s.requests).toHaveLength(1)
  })

  test('the caller aborting during the backoff ends the wait with its reason, and no further attempt', async () => {
    const s = fakeServer('http://a', { fail: () => reset() })
    const controller = new AbortController()
    const pending = (await open([s], { retries: 3, backoff: () => 60_000, timeoutMs: 120_000 })).answer(promptFor(1), controller.signal)
    const reason = new Error('interrupted')
    setTimeout(() => controller.abort(reason), 20)
    await expect(pending).rejects.toBe(reason)
    expect(s.requests).toHaveLength(1)
  })

  test('the deadline covers every attempt and its backoff: no attempt is started that would end past it', async () => {
    const s = fakeServer('http://a', { fail: () => reset() })
    const t0 = performance.now()
    const err = await (await open([s], { retries: 10, backoff: () => 100, timeoutMs: 250 })).answer(promptFor(1), never(), 'question #7').catch((e: Error) => e)
    expect(performance.now() - t0).toBeLessThan(1_000)
    // Attempts at 0, 100 and 200 ms; the fourth would start after the deadline.
    expect(s.requests).toHaveLength(3)
    expect((err as Error).message).toBe("connection reset (ECONNRESET) (gave up after 3 attempts, the next would start after the question's deadline, MMLU_TIMEOUT_MS=250)")
  })

  test('every attempt refused before it was sent: the question was never asked (NotAskedError)', async () => {
    const s = fakeServer('http://a', { fail: () => refused() })
    const err = await (await open([s])).answer(promptFor(1), never()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotAskedError)
    expect((err as Error).message).toBe('not asked: connection refused (ECONNREFUSED) (gave up after 3 attempts, MMLU_RETRIES=2; none reached the server)')
  })
})

describe('a server given up (server-health.ts)', () => {
  test('the rule: failures only, for the whole window, with no answer in it', () => {
    let t = 0
    const h = new ServerHealth('http://a', 1_000, () => t)
    h.failed('refused')
    t = 900
    h.failed('refused')
    expect(h.gone).toBeUndefined()
    h.answered()
    t = 1_500
    h.failed('refused') // a new outage starts here
    t = 2_400
    h.failed('refused')
    expect([h.failing, h.gone]).toEqual([true, undefined])
    t = 2_500
    h.failed('HTTP 503')
    expect(h.gone).toBe('http://a failed every request for 1.0 s and answered none (last: HTTP 503)')
    expect(h.goneSignal.aborted).toBe(true)
  })

  test('a dead server: the question caught by it is not asked, and every later one is not asked at once, without a request', async () => {
    const s = fakeServer('http://a', { fail: () => refused() })
    const session = await open([s], { retries: 20, backoff: () => 40, goneAfterMs: 300 })
    const t0 = performance.now()
    const first = await session.answer(promptFor(1), never()).catch((e: unknown) => e)
    expect(first).toBeInstanceOf(NotAskedError)
    expect((first as Error).message).toMatch(/^not asked: the server is unreachable: http:\/\/a failed every request for 0\.[34]\d* s and answered none \(last: connection refused \(ECONNREFUSED\)\)$/)
    expect(performance.now() - t0).toBeLessThan(1_000)
    const sent = s.requests.length
    const later = await Promise.all([2, 3, 4].map((i) => session.answer(promptFor(i), never()).catch((e: unknown) => e)))
    expect(later.every((e) => e instanceof NotAskedError)).toBe(true)
    expect(s.requests).toHaveLength(sent)
  })

  test('a restart is not an outage: refusals for 400 ms, then answers; nothing lost, each question answered once', async () => {
    let down = true
    setTimeout(() => (down = false), 400)
    const s = fakeServer('http://a', { slots: 4, fail: () => (down ? refused() : undefined) })
    const session = await open([s], { retries: 20, backoff: (a) => Math.min(200, 25 * 2 ** a), goneAfterMs: 2_000, concurrency: 4 })
    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => session.answer(promptFor(i), never())))
    expect(answers).toHaveLength(6)
    const answered = s.requests.filter((r) => r.outcome === 'answered').map((r) => r.suffix)
    expect(answered.sort()).toEqual([1, 2, 3, 4, 5, 6].map((i) => promptFor(i).suffix).sort())
  })

  test('a burst of 503s is not an outage either', async () => {
    const t0 = Date.now()
    const s = fakeServer('http://a', { fail: () => (Date.now() - t0 < 300 ? busy() : undefined) })
    const a = await (await open([s], { retries: 8, backoff: (a) => 25 * 2 ** a, goneAfterMs: 2_000 })).answer(promptFor(1), never())
    expect(a.text).toBe(' B')
    expect(s.requests.length).toBeGreaterThan(2)
  })
})

describe('the deadline counts the question\'s own time, not a queue that moves', () => {
  test('one slot, 100 ms a request, 6 in flight, MMLU_TIMEOUT_MS=250: every question answered though the last waited 5 turns', async () => {
    const s = fakeServer('http://a', { slots: 1, latencyMs: 100 })
    const session = await open([s], { concurrency: 6, timeoutMs: 250 })
    const t0 = performance.now()
    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => session.answer(promptFor(i), never())))
    // The server really queued: the whole took 6 turns, far past one deadline.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(590)
    expect(Math.max(...answers.map((a) => a.latencyMs))).toBeGreaterThanOrEqual(550)
    expect(s.maxBusy).toBe(1)
  })

  test('a request that hangs in that queue still ends, MMLU_TIMEOUT_MS after the requests ahead of it left; the one behind it then gets its turn', async () => {
    const s = fakeServer('http://a', { slots: 1, latencyMs: 100, hang: (n) => n === 3 })
    const session = await open([s], { concurrency: 4, timeoutMs: 250 })
    const t0 = performance.now()
    const out = await Promise.all([1, 2, 3, 4].map((i) => session.answer(promptFor(i), never(), `question #${i}`).catch((e: unknown) => e)))
    const err = out[2] as Error
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err.message).toMatch(/^question #3 timed out after 250 ms \(MMLU_TIMEOUT_MS\) \(0\.[4-9]\d* s after it was sent: it waited behind earlier requests of this run first\)$/)
    // Ahead of it: #1 and #2, answered by 200 ms; then its own 250 ms; then #4's 100 ms.
    expect(performance.now() - t0).toBeLessThan(1_500)
    expect([out[0], out[1], out[3]].every((a) => !(a instanceof Error))).toBe(true)
  })

  test('a server that answers nothing: each question gets its own MMLU_TIMEOUT_MS in turn, then the server is given up and the rest are not asked', async () => {
    const s = fakeServer('http://a', { slots: 1, hang: () => true })
    const session = await open([s], { concurrency: 3, timeoutMs: 200, goneAfterMs: 300 })
    const t0 = performance.now()
    const out = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => session.answer(promptFor(i), never(), `question #${i}`).catch((e: Error) => e)))
    expect(out.slice(0, 2).map((e) => (e as Error).message)).toEqual([
      'question #1 timed out after 200 ms (MMLU_TIMEOUT_MS)',
      expect.stringMatching(/^question #2 timed out after 200 ms \(MMLU_TIMEOUT_MS\) \(0\.4\d* s after it was sent/),
    ])
    // Given up at the third timeout (600 ms, 400 ms after the first failure): #4 and #5, sent as places freed, are withdrawn; #6 is never sent.
    expect((out[2] as Error).message).toMatch(/^question #3 timed out/)
    expect(out.slice(3).every((e) => e instanceof NotAskedError)).toBe(true)
    expect(s.requests).toHaveLength(5)
    expect(performance.now() - t0).toBeLessThan(1_200)
  })
})

describe('several servers', () => {
  test('questions go to the server with the fewest outstanding, each within its own level: two one-slot servers take half the time', async () => {
    const [a, b] = [fakeServer('http://a', { latencyMs: 40 }), fakeServer('http://b', { latencyMs: 40 })]
    const session = await open([a, b])
    const t0 = performance.now()
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => session.answer(promptFor(i), never())))
    const took = performance.now() - t0
    expect([a.requests.length, b.requests.length]).toEqual([5, 5])
    expect([a.maxBusy, b.maxBusy]).toEqual([1, 1])
    expect(answers.filter((x) => x.server === 'http://a')).toHaveLength(5)
    expect(took).toBeLessThan(10 * 40 * 0.8)
    expect(session.details).toMatchObject({ servers: 2, 'concurrency http://a': '1', 'concurrency http://b': '1' })
  })

  test('a server that dies mid-run: its questions move to the other; none lost, none answered twice', async () => {
    const a = fakeServer('http://a', { latencyMs: 10 })
    const b = fakeServer('http://b', { latencyMs: 10, fail: (n) => (n > 3 ? refused() : undefined) })
    const session = await open([a, b], { retries: 8, backoff: () => 20, goneAfterMs: 200 })
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => session.answer(promptFor(i), never())))
    expect(answers).toHaveLength(30)
    const answered = [...a.requests, ...b.requests].filter((r) => r.outcome === 'answered').map((r) => r.suffix)
    expect(answered.sort()).toEqual(Array.from({ length: 30 }, (_, i) => promptFor(i).suffix).sort())
    expect(b.requests.filter((r) => r.outcome === 'answered')).toHaveLength(3)
    expect(answers.filter((x) => x.server === 'http://b')).toHaveLength(3)
  })

  test('when every server is gone the questions are not asked, naming each', async () => {
    const a = fakeServer('http://a', { fail: () => refused() })
    const b = fakeServer('http://b', { fail: () => refused() })
    const session = await open([a, b], { retries: 20, backoff: () => 20, goneAfterMs: 150 })
    const err = (await session.answer(promptFor(1), never()).catch((e: unknown) => e)) as Error
    expect(err).toBeInstanceOf(NotAskedError)
    expect(err.message).toMatch(/^not asked: every server is unreachable: http:\/\/a failed every request .*; http:\/\/b failed every request /)
  })

  test('an error names the server it came from', async () => {
    const a = fakeServer('http://a', { fail: () => new ServerError('HTTP 400: bad', false, 400) })
    const b = fakeServer('http://b', { fail: () => new ServerError('HTTP 400: bad', false, 400) })
    const err = (await (await open([a, b])).answer(promptFor(1), never()).catch((e: unknown) => e)) as EngineError
    expect(err.server).toBe('http://a')
  })
})

describe('MMLU_CONCURRENCY=auto', () => {
  const feed = (auto: AutoConcurrency, latencyAt: (level: number) => number) => {
    for (let i = 0; i < 200 && !auto.done; i++) auto.answered(auto.level, latencyAt(auto.level))
  }

  test(`doubles while a step gains at least ${AUTO_MIN_GAIN * 100}% and keeps the best level`, () => {
    // A server with 4 slots: latency flat up to 4 in flight, then it queues.
    const four = new AutoConcurrency(16)
    feed(four, (level) => 100 * Math.max(1, level / 4))
    expect(four.level).toBe(4)
    expect(four.describe()).toBe('auto: 1→2 +100%, 2→4 +100%, 4→8 +0%')
    // One slot: two in flight take twice as long each.
    const one = new AutoConcurrency(16)
    feed(one, (level) => 100 * level)
    expect([one.level, one.describe()]).toEqual([1, 'auto: 1→2 +0%'])
    // A server that never saturates stops at the top level, and says so.
    const wide = new AutoConcurrency(4)
    feed(wide, () => 100)
    expect([wide.level, wide.describe()]).toEqual([4, 'auto: 1→2 +100%, 2→4 +100%, 4 is the top level'])
    expect(new AutoConcurrency(1).describe()).toBe('auto: 1 is the most this engine takes')
  })

  test('only answers sent at the level being measured count, after the warm-up; a run that ends first says so', () => {
    const auto = new AutoConcurrency(16)
    // The run's first answers are slow (connections, code warming up): left out, they do not make 1→2 look like a gain.
    for (let i = 0; i < AUTO_SAMPLES; i++) auto.answered(1, 1_000)
    for (let i = 0; i < AUTO_SAMPLES - 1; i++) auto.answered(1, 100)
    auto.answered(2, 100)
    expect([auto.level, auto.done]).toEqual([1, false])
    expect(auto.describe()).toBe('auto: 1 not measured to the end (too few questions)')
  })

  test('acceptance: against one-slot and four-slot servers the level auto keeps reaches ≥ 90% of the best fixed level\'s throughput', async () => {
    /** Questions per second through the dispatcher at a setting, `n` questions all waiting at once (as Vitest's in-file concurrency puts them). */
    const rate = async (s: FakeServer, concurrency: number | 'auto', n: number) => {
      const session = await open([s], { concurrency })
      const t0 = performance.now()
      await Promise.all(Array.from({ length: n }, (_, i) => session.answer(promptFor(i), never())))
      return { perSecond: (n * 1000) / (performance.now() - t0), details: session.details }
    }
    for (const slots of [1, 4]) {
      const s = fakeServer(`http://${slots}-slots`, { slots, latencyMs: 25 })
      const auto = await rate(s, 'auto', 70)
      const chosen = Number.parseInt(String(auto.details.concurrency), 10)
      expect(auto.details.concurrency).toMatch(/^\d+ \(auto: 1→2 /)
      expect(slots === 1 ? [1, 2] : [4, 8]).toContain(chosen)
      const fixed = new Map<number, number>()
      for (const level of [1, 2, 4, 8]) fixed.set(level, (await rate(s, level, 24)).perSecond)
      const best = Math.max(...fixed.values())
      expect(fixed.get(chosen)! / best, `${slots} slots: auto kept ${chosen}; fixed levels ${JSON.stringify([...fixed])}`).toBeGreaterThanOrEqual(0.9)
    }
  })
})
