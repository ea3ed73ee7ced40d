// The dispatcher's rules (src/backends/dispatch.ts), on in-process fake
// servers: retries and their bounds, the deadline that does not count a queue
// that moves, the rule that gives a server up, several servers sharing the
// questions, and auto concurrency. Time is Vitest's fake clock wherever a rule
// is about time (setTimeout, Date and performance.now all read it): each
// figure below is exact, whatever the machine's load.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { AUTO_MIN_GAIN, AUTO_SAMPLES, AutoConcurrency } from '../src/backends/auto-concurrency.js'
import { EngineError, NotAskedError } from '../src/backends/backend.js'
import type { Session, SessionRequest } from '../src/backends/backend.js'
import type { DispatchSettings, PoolMember } from '../src/backends/dispatch.js'
import { openServerPool } from '../src/backends/dispatch.js'
import { ServerError, TimeoutError } from '../src/backends/guard.js'
import { GONE_AFTER_MS, ServerHealth } from '../src/backends/server-health.js'
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

/** The fake clock, from before the pool is opened (ServerHealth reads Date.now as it was then). */
function fakeClock(): void {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })
}

/** Runs the fake clock until nothing is left to wait for, and returns what `work` settled to (an error as a value). */
async function settle<T>(work: Promise<T>): Promise<T | Error> {
  const out = work.catch((e: unknown) => e as Error)
  await vi.runAllTimersAsync()
  return out
}

describe('retries', () => {
  fakeClock()

  test('a retryable failure is tried again until it succeeds, within the bound', async () => {
    const s = fakeServer('http://a', { fail: (n) => [busy(), reset()][n - 1] })
    const a = await settle((await open([s])).answer(promptFor(1), never(), 'question #1'))
    expect(a).toMatchObject({ text: ' B' })
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
    expect(await settle(pending)).toBe(reason)
    expect(s.requests).toHaveLength(1)
    expect(Date.now()).toBe(s.requests[0]!.at + 20)
  })

  test('the deadline covers every attempt and its backoff: no attempt is started that would end past it', async () => {
    const s = fakeServer('http://a', { fail: () => reset() })
    const t0 = Date.now()
    const err = await settle((await open([s], { retries: 10, backoff: () => 100, timeoutMs: 250 })).answer(promptFor(1), never(), 'question #7'))
    // Attempts at 0, 100 and 200 ms; the fourth would start after the deadline: the error comes at 200 ms.
    expect(s.requests.map((r) => r.at - t0)).toEqual([0, 100, 200])
    expect(Date.now() - t0).toBe(200)
    expect((err as Error).message).toBe("connection reset (ECONNRESET) (gave up after 3 attempts, the next would start after the question's deadline, MMLU_TIMEOUT_MS=250)")
  })

  // On purpose: a 503 or 429 says the server is busy, and the place held is the backpressure. Freed, it
  // would go to the next question at once, under auto (up to 16 in flight per server in Vitest) to each in turn.
  test('a question waiting out its backoff keeps its place: at a level of 1 nothing else is sent during the backoff', async () => {
    const s = fakeServer('http://a', { latencyMs: 100, fail: (n) => (n === 1 ? busy() : undefined) })
    const session = await open([s], { concurrency: 1, retries: 1, backoff: () => 500 })
    const t0 = Date.now()
    await settle(Promise.all([1, 2].map((i) => session.answer(promptFor(i), never()))))
    expect(s.requests.map((r) => [r.suffix.split('\n')[0], r.at - t0])).toEqual([
      ['q1', 0],
      // The backoff's end frees the place; the question that waited for it goes first, then the retry.
      ['q2', 500],
      ['q1', 600],
    ])
  })

  test('every attempt refused before it was sent: the question was never asked (NotAskedError)', async () => {
    const s = fakeServer('http://a', { fail: () => refused() })
    const err = await (await open([s])).answer(promptFor(1), never()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotAskedError)
    expect((err as Error).message).toBe('not asked: connection refused (ECONNREFUSED) (gave up after 3 attempts, MMLU_RETRIES=2; none reached the server)')
  })
})

describe('a server given up (server-health.ts)', () => {
  fakeClock()

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
    const t0 = Date.now()
    const first = await settle(session.answer(promptFor(1), never()))
    expect(first).toBeInstanceOf(NotAskedError)
    // Refusals at 0, 40, …, 320 ms: the one at 320 is the first 300 ms or more after the outage began.
    expect((first as Error).message).toBe('not asked: the server is unreachable: http://a failed every request for 0.3 s and answered none (last: connection refused (ECONNREFUSED))')
    expect(s.requests.map((r) => r.at - t0)).toEqual([0, 40, 80, 120, 160, 200, 240, 280, 320])
    expect(Date.now() - t0).toBe(320)
    const later = await Promise.all([2, 3, 4].map((i) => session.answer(promptFor(i), never()).catch((e: unknown) => e)))
    expect(later.every((e) => e instanceof NotAskedError)).toBe(true)
    expect(s.requests).toHaveLength(9)
  })

  test('a restart is not an outage: refusals for 400 ms, then answers; nothing lost, each question answered once', async () => {
    let down = true
    setTimeout(() => (down = false), 400)
    const s = fakeServer('http://a', { slots: 4, fail: () => (down ? refused() : undefined) })
    const session = await open([s], { retries: 20, backoff: (a) => Math.min(200, 25 * 2 ** a), goneAfterMs: 2_000, concurrency: 4 })
    const answers = await settle(Promise.all([1, 2, 3, 4, 5, 6].map((i) => session.answer(promptFor(i), never()))))
    expect(answers).toHaveLength(6)
    const answered = s.requests.filter((r) => r.outcome === 'answered').map((r) => r.suffix)
    expect(answered.sort()).toEqual([1, 2, 3, 4, 5, 6].map((i) => promptFor(i).suffix).sort())
  })

  test('a burst of 503s is not an outage either', async () => {
    const t0 = Date.now()
    const s = fakeServer('http://a', { fail: () => (Date.now() - t0 < 300 ? busy() : undefined) })
    const a = await settle((await open([s], { retries: 8, backoff: (a) => 25 * 2 ** a, goneAfterMs: 2_000 })).answer(promptFor(1), never()))
    expect(a).toMatchObject({ text: ' B' })
    // Sent at 0, 25, 75, 175 (503s) and 375 ms (answered).
    expect(s.requests.map((r) => [r.at - t0, r.outcome])).toEqual([[0, 'failed'], [25, 'failed'], [75, 'failed'], [175, 'failed'], [375, 'answered']])
  })

  test(`the rule's own time, GONE_AFTER_MS (${GONE_AFTER_MS / 1000} s), when a run sets none: the first failure ${GONE_AFTER_MS / 1000} s into an outage gives the server up`, async () => {
    const s = fakeServer('http://a', { fail: () => refused() })
    const session = await open([s], { retries: 1_000, backoff: () => 1_000, timeoutMs: 10_000_000 })
    const t0 = Date.now()
    const err = await settle(session.answer(promptFor(1), never()))
    // Refusals once a second: the ninth, at 8 s, is the first 8 s after the first.
    expect((err as Error).message).toBe('not asked: the server is unreachable: http://a failed every request for 8.0 s and answered none (last: connection refused (ECONNREFUSED))')
    expect(s.requests).toHaveLength(9)
    expect(Date.now() - t0).toBe(8_000)
  })
})

describe('the deadline counts the question\'s own time, not a queue that moves', () => {
  fakeClock()

  test('one slot, 100 ms a request, 6 in flight, MMLU_TIMEOUT_MS=250: every question answered though the last waited 5 turns', async () => {
    const s = fakeServer('http://a', { slots: 1, latencyMs: 100 })
    const session = await open([s], { concurrency: 6, timeoutMs: 250 })
    const t0 = Date.now()
    const answers = await settle(Promise.all([1, 2, 3, 4, 5, 6].map((i) => session.answer(promptFor(i), never()))))
    // The server really queued: the whole took 6 turns, far past one deadline, and the last waited 5 of them.
    expect(Date.now() - t0).toBe(600)
    expect((answers as { latencyMs: number }[]).map((a) => a.latencyMs)).toEqual([100, 200, 300, 400, 500, 600])
    expect(s.maxBusy).toBe(1)
  })

  test('a request that hangs in that queue still ends, MMLU_TIMEOUT_MS after the requests ahead of it left; the one behind it then gets its turn', async () => {
    const s = fakeServer('http://a', { slots: 1, latencyMs: 100, hang: (n) => n === 3 })
    const session = await open([s], { concurrency: 4, timeoutMs: 250 })
    const t0 = Date.now()
    const ends: number[] = []
    const out = await settle(Promise.all([1, 2, 3, 4].map((i) => session.answer(promptFor(i), never(), `question #${i}`).catch((e: unknown) => e).finally(() => (ends[i - 1] = Date.now() - t0)))))
    const err = (out as unknown[])[2] as Error
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err.message).toBe('question #3 timed out after 250 ms (MMLU_TIMEOUT_MS) (0.5 s after it was sent: it waited behind earlier requests of this run first)')
    // Ahead of it: #1 and #2, answered at 100 and 200 ms; then its own 250 ms, to 450; then #4's 100 ms, to 550.
    expect(ends).toEqual([100, 200, 450, 550])
    expect([0, 1, 3].map((i) => (out as unknown[])[i] instanceof Error)).toEqual([false, false, false])
  })

  test('a server that answers nothing: each question gets its own MMLU_TIMEOUT_MS in turn, then the server is given up and the rest are not asked', async () => {
    const s = fakeServer('http://a', { slots: 1, hang: () => true })
    const session = await open([s], { concurrency: 3, timeoutMs: 200, goneAfterMs: 300 })
    const t0 = Date.now()
    const out = (await settle(Promise.all([1, 2, 3, 4, 5, 6].map((i) => session.answer(promptFor(i), never(), `question #${i}`).catch((e: Error) => e))))) as Error[]
    expect(out.slice(0, 2).map((e) => (e as Error).message)).toEqual([
      'question #1 timed out after 200 ms (MMLU_TIMEOUT_MS)',
      'question #2 timed out after 200 ms (MMLU_TIMEOUT_MS) (0.4 s after it was sent: it waited behind earlier requests of this run first)',
    ])
    // Given up at the third timeout (600 ms, 400 ms after the first failure): #4 and #5, sent as places freed, are withdrawn; #6 is never sent.
    expect((out[2] as Error).message).toMatch(/^question #3 timed out/)
    expect(out.slice(3).every((e) => e instanceof NotAskedError)).toBe(true)
    expect(s.requests).toHaveLength(5)
    expect(Date.now() - t0).toBe(600)
  })
})

describe('several servers', () => {
  fakeClock()

  test('questions go to the server with the fewest outstanding, each within its own level: two one-slot servers take half the time', async () => {
    const [a, b] = [fakeServer('http://a', { latencyMs: 40 }), fakeServer('http://b', { latencyMs: 40 })]
    const session = await open([a, b])
    const t0 = Date.now()
    const answers = (await settle(Promise.all(Array.from({ length: 10 }, (_, i) => session.answer(promptFor(i), never()))))) as { server?: string }[]
    expect([a.requests.length, b.requests.length]).toEqual([5, 5])
    expect([a.maxBusy, b.maxBusy]).toEqual([1, 1])
    expect(answers.filter((x) => x.server === 'http://a')).toHaveLength(5)
    // 5 turns of 40 ms, against 10 on one server.
    expect(Date.now() - t0).toBe(5 * 40)
    expect(session.details).toMatchObject({ servers: 2, 'concurrency http://a': '1', 'concurrency http://b': '1' })
  })

  test('a server that dies mid-run: its questions move to the other; none lost, none answered twice', async () => {
    const a = fakeServer('http://a', { latencyMs: 10 })
    const b = fakeServer('http://b', { latencyMs: 10, fail: (n) => (n > 3 ? refused() : undefined) })
    const session = await open([a, b], { retries: 8, backoff: () => 20, goneAfterMs: 200 })
    const answers = (await settle(Promise.all(Array.from({ length: 30 }, (_, i) => session.answer(promptFor(i), never()))))) as { server?: string }[]
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
    const err = (await settle(session.answer(promptFor(1), never()))) as Error
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

  describe('through the dispatcher, on the fake clock', () => {
    fakeClock()

    test('acceptance: against one-slot and four-slot servers auto keeps the best fixed level (1 and 4), with its throughput', async () => {
      /** Questions per second through the dispatcher at a setting, `n` questions all waiting at once (as Vitest's in-file concurrency puts them). */
      const rate = async (s: FakeServer, concurrency: number | 'auto', n: number) => {
        const session = await open([s], { concurrency })
        const t0 = performance.now()
        await settle(Promise.all(Array.from({ length: n }, (_, i) => session.answer(promptFor(i), never()))))
        return { perSecond: (n * 1000) / (performance.now() - t0), details: session.details }
      }
      for (const slots of [1, 4]) {
        const s = fakeServer(`http://${slots}-slots`, { slots, latencyMs: 25 })
        const auto = await rate(s, 'auto', 70)
        // One slot: two in flight take 50 ms each, no gain. Four: each doubling to 4 doubles the rate, 8 queues.
        expect(auto.details.concurrency).toBe(slots === 1 ? '1 (auto: 1→2 +0%)' : '4 (auto: 1→2 +100%, 2→4 +100%, 4→8 +0%)')
        const chosen = Number.parseInt(String(auto.details.concurrency), 10)
        const fixed = new Map<number, number>()
        for (const level of [1, 2, 4, 8]) fixed.set(level, (await rate(s, level, 24)).perSecond)
        // 24 questions of 25 ms, min(level, slots) at a time: 40 questions/s per slot used.
        expect([...fixed]).toEqual([1, 2, 4, 8].map((level) => [level, 40 * Math.min(level, slots)]))
        expect(fixed.get(chosen)).toBe(Math.max(...fixed.values()))
      }
    })
  })
})
