// The dispatcher: one Session over N single-server sessions of one backend
// kind (N = 1 for one server or the embedded engine), and the protection every
// question gets on its way to a server. The backends below stay one-server;
// the suite above asks `session.answer(prompt, signal, label)` and gets an
// answer, or one error that says what happened.
//
// - Which server: the one with the fewest requests outstanding, among those
//   below their own level (MMLU_CONCURRENCY, or what auto found for that
//   server). A question waits here, in this process, while every server is
//   full; that wait is not part of its deadline.
// - The deadline (MMLU_TIMEOUT_MS) starts when the question is first sent,
//   covers its retries and their backoff, and starts again whenever a request
//   this process sent the server earlier leaves it (answered, failed, or
//   abandoned at its own deadline, which frees its place): a question queued
//   behind our own requests at a one-slot server gets its full time once its
//   turn comes. It can start again at most once per request ahead: never past
//   MMLU_TIMEOUT_MS × the server's level from the first send.
// - Retries: a retryable failure (connection refused or dropped, 429, 5xx)
//   is tried again, up to MMLU_RETRIES times, after a backoff — at once on
//   another server when one is healthy. The backoff keeps the question's place
//   at the server: a 503 or 429 says it is busy, and the held place is the
//   backpressure. A question whose every attempt was refused before it was
//   sent was never asked: NotAskedError.
// - A server given up (server-health.ts) gets nothing more, and what it still
//   had in flight is withdrawn: those questions go to the other servers; when
//   none is left they are not asked (NotAskedError).
// - A server failing again and again is ejected for a cool-down first
//   (ejection.ts): it gets no new question meanwhile, so one that fails fast
//   does not draw most questions for being the least loaded.
// Nothing answered is sent again: a question returns with its first answer.
import type { Concurrency } from '../config/options.js'
import type { Prompt } from '../prompt/prompt.js'
import { AutoConcurrency } from './auto-concurrency.js'
import { Ejection } from './ejection.js'
import type { Engine, EngineInfo, RawAnswer, ServerGivenUp, Session, SessionRequest } from './backend.js'
import { EngineError, NotAskedError } from './backend.js'
import { backoffMs, ServerError, TimeoutError } from './guard.js'
import { GONE_AFTER_MS, ServerHealth } from './server-health.js'
import { minOf } from '../base/extent.js'

export interface PoolMember {
  engine: Engine
  /** The server's base URL without credentials; undefined for an engine in this process. */
  server?: string
}

export interface DispatchSettings {
  timeoutMs: number
  retries: number
  concurrency: Concurrency
  /** The highest level auto may try (MMLU's AUTO_CONCURRENCY_MAX, or less where the engine takes fewer). */
  autoMax: number
  goneAfterMs?: number
  backoff?: (attempt: number) => number
  /** The clock of the health and ejection rules (tests pass their own). */
  now?: () => number
}

/** How long Vitest may let one question run before its own timeout: every wait the dispatcher allows, with room to spare. */
export function questionTimeLimitMs(timeoutMs: number, inFlightCap: number): number {
  return timeoutMs * (inFlightCap + 1) + 5_000
}

/** One question's clock; see the header. */
class Deadline {
  private readonly controller = new AbortController()
  private timer: NodeJS.Timeout | undefined
  private sentAt: number | undefined
  private at = Infinity
  private cap = Infinity
  private extended = false
  private readonly onOuterAbort = () => this.abort(this.outer.reason)

  constructor(
    private readonly timeoutMs: number,
    private readonly label: string,
    private readonly outer: AbortSignal,
  ) {
    if (outer.aborted) this.controller.abort(outer.reason)
    else outer.addEventListener('abort', this.onOuterAbort, { once: true })
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** The first send starts the clock; later sends (retries) keep it. */
  start(level: number): void {
    if (this.sentAt !== undefined) return
    this.sentAt = Date.now()
    this.at = this.sentAt + this.timeoutMs
    this.cap = this.sentAt + this.timeoutMs * Math.max(1, level)
    this.arm()
  }

  /** A request sent before ours left the server: our turn came closer, the clock starts again. */
  extend(): void {
    const next = Math.min(this.cap, Date.now() + this.timeoutMs)
    if (this.signal.aborted || next <= this.at) return
    this.at = next
    this.extended = true
    this.arm()
  }

  remaining(): number {
    return this.at - Date.now()
  }

  private arm(): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      const total = Date.now() - (this.sentAt ?? 0)
      const waited = this.extended && total > this.timeoutMs * 1.1 ? ` (${(total / 1000).toFixed(1)} s after it was sent: it waited behind earlier requests of this run first)` : ''
      this.abort(new TimeoutError(`${this.label} timed out after ${this.timeoutMs} ms (MMLU_TIMEOUT_MS)${waited}`))
    }, Math.max(0, this.at - Date.now()))
  }

  private abort(reason: unknown): void {
    clearTimeout(this.timer)
    if (!this.controller.signal.aborted) this.controller.abort(reason)
  }

  dispose(): void {
    clearTimeout(this.timer)
    this.outer.removeEventListener('abort', this.onOuterAbort)
  }
}

/** The server was given up while this request was in flight: the question goes elsewhere, or is not asked. */
class Withdrawn extends Error {}

/** One server as this worker sees it: its health, its level, what is in flight. Shared by the worker's subject files. */
class ServerState {
  readonly health: ServerHealth
  readonly ejection: Ejection
  readonly auto: AutoConcurrency | undefined
  outstanding = 0
  private sent = 0
  private readonly inFlight = new Map<number, { deadline: Deadline; attempt: AbortController }>()

  constructor(
    readonly member: PoolMember,
    private readonly fixed: number,
    autoMax: number | undefined,
    goneAfterMs: number,
    now: () => number,
  ) {
    this.health = new ServerHealth(this.name, goneAfterMs, now)
    this.ejection = new Ejection(now)
    this.auto = autoMax === undefined ? undefined : new AutoConcurrency(autoMax)
    this.health.goneSignal.addEventListener('abort', () => {
      for (const { attempt } of this.inFlight.values()) attempt.abort(new Withdrawn())
    }, { once: true })
  }

  get name(): string {
    return this.member.server ?? this.member.engine.info.source
  }

  get level(): number {
    return this.auto ? this.auto.level : this.fixed
  }

  /** The requests it may have at once now: its level, or one while it probes after a cool-down. */
  get room(): number {
    return this.ejection.probing ? 1 : this.level
  }

  begin(deadline: Deadline, attempt: AbortController): number {
    const seq = ++this.sent
    this.inFlight.set(seq, { deadline, attempt })
    return seq
  }

  /** Request `seq` left the server, however: the requests sent after it moved up its queue. */
  end(seq: number): void {
    this.inFlight.delete(seq)
    for (const [s, { deadline }] of this.inFlight) if (s > seq) deadline.extend()
  }

  describeLevel(): string {
    return this.auto ? `${this.auto.level} (${this.auto.describe()})` : String(this.fixed)
  }
}

interface Waiter {
  avoid: ServerState | undefined
  resolve(s: ServerState): void
  reject(e: unknown): void
}

/** The servers of one engine in one worker, and the questions waiting for room at them. */
class ServerPool {
  private readonly waiting: Waiter[] = []

  constructor(readonly servers: ServerState[]) {
    for (const s of servers) s.health.goneSignal.addEventListener('abort', () => this.pump(), { once: true })
  }

  private allGone(): NotAskedError | undefined {
    if (!this.servers.every((s) => s.health.gone)) return undefined
    const why = this.servers.map((s) => s.health.gone).join('; ')
    return new NotAskedError(`not asked: ${this.servers.length === 1 ? 'the server is unreachable' : 'every server is unreachable'}: ${why}`)
  }

  /** The server with room and the fewest outstanding requests; one that just failed the question, or is failing, only when nothing else has room. */
  private pick(avoid: ServerState | undefined): ServerState | undefined {
    let best: ServerState | undefined
    const rank = (s: ServerState) => [s === avoid ? 1 : 0, s.health.failing ? 1 : 0, s.outstanding] as const
    for (const s of this.servers) {
      if (s.health.gone || s.ejection.ejected || s.outstanding >= s.room) continue
      if (!best) best = s
      else {
        const [a, b] = [rank(s), rank(best)]
        if (a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])))) best = s
      }
    }
    return best
  }

  acquire(signal: AbortSignal, avoid?: ServerState): Promise<ServerState> {
    const gone = this.allGone()
    if (gone) return Promise.reject(gone)
    if (signal.aborted) return Promise.reject(signal.reason)
    const now = this.waiting.length === 0 ? this.pick(avoid) : undefined
    if (now) {
      now.outstanding++
      return Promise.resolve(now)
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        avoid,
        resolve: (s) => {
          signal.removeEventListener('abort', onAbort)
          resolve(s)
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort)
          reject(e)
        },
      }
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter)
        if (i >= 0) this.waiting.splice(i, 1)
        reject(signal.reason)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(waiter)
    })
  }

  release(s: ServerState): void {
    s.outstanding--
    this.pump()
  }

  /** First come, first served: hands freed room to the waiting questions in order. */
  pump(): void {
    const gone = this.allGone()
    if (gone) {
      for (const w of this.waiting.splice(0)) w.reject(gone)
      return
    }
    while (this.waiting.length > 0) {
      const s = this.pick(this.waiting[0]!.avoid)
      if (!s) return
      s.outstanding++
      this.waiting.shift()!.resolve(s)
    }
  }

  /** Another server that is not failing and has room: a retry can go there at once. */
  healthyOther(than: ServerState): boolean {
    return this.servers.some((s) => s !== than && !s.health.gone && !s.ejection.ejected && !s.health.failing && s.outstanding < s.room)
  }

  answered(s: ServerState): void {
    s.health.answered()
    s.ejection.answered()
  }

  /** A failure of the server itself: towards giving it up, and towards a cool-down while another server is in use. */
  failed(s: ServerState, why: string): void {
    s.health.failed(why)
    const inUse = this.servers.some((x) => x !== s && !x.health.gone && !x.ejection.ejected)
    const coolDown = s.ejection.failed(inUse && !s.health.gone)
    // Back in the pool when the cool-down ends: questions waiting meanwhile may go there.
    if (coolDown !== undefined) setTimeout(() => this.pump(), coolDown).unref?.()
  }

  /** The servers given up so far, with when and why. */
  givenUp(): ServerGivenUp[] {
    return this.servers.flatMap((s) => (s.health.goneAt === undefined ? [] : [{ server: s.name, at: s.health.goneAt, failingMs: s.health.goneAfterFailingMs ?? 0, why: s.health.gone ?? '' }]))
  }
}

function withServer<T extends Error>(e: T, server: ServerState, several: boolean): T {
  if (several && e instanceof EngineError) e.server ??= server.member.server
  return e
}

/** Rejects with the signal's reason when it aborts, whether or not `work` listens to it. */
function raced<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}

class Dispatcher implements Session {
  private readonly several: boolean
  private readonly backoff: (attempt: number) => number

  constructor(
    private readonly pool: ServerPool,
    private readonly sessions: Map<ServerState, Session>,
    private readonly settings: DispatchSettings,
  ) {
    this.several = pool.servers.length > 1
    this.backoff = settings.backoff ?? backoffMs
  }

  get details(): Record<string, string | number | boolean> {
    const servers = this.pool.servers
    const out: Record<string, string | number | boolean> = { ...this.sessions.get(servers[0]!)!.details }
    if (!this.several) {
      out.concurrency = servers[0]!.describeLevel()
      return out
    }
    out.servers = servers.length
    for (const s of servers) out[`concurrency ${s.name}`] = s.describeLevel()
    return out
  }

  get givenUp(): ServerGivenUp[] {
    return this.pool.givenUp()
  }

  async answer(prompt: Prompt, signal: AbortSignal = new AbortController().signal, label = 'the question'): Promise<RawAnswer> {
    const deadline = new Deadline(this.settings.timeoutMs, label, signal)
    try {
      return await this.ask(prompt, deadline)
    } finally {
      deadline.dispose()
    }
  }

  private async ask(prompt: Prompt, deadline: Deadline): Promise<RawAnswer> {
    let retries = 0
    let reached = false
    let avoid: ServerState | undefined
    for (;;) {
      const server = await this.pool.acquire(deadline.signal, avoid)
      const inFlightAtSend = server.outstanding
      deadline.start(server.level)
      // One attempt's own signal: the question's deadline, or the server given up meanwhile.
      const attempt = new AbortController()
      const onDeadline = () => attempt.abort(deadline.signal.reason)
      deadline.signal.addEventListener('abort', onDeadline, { once: true })
      const seq = server.begin(deadline, attempt)
      try {
        const raw = await raced(this.sessions.get(server)!.answer(prompt, attempt.signal), attempt.signal)
        this.pool.answered(server)
        server.auto?.answered(inFlightAtSend, raw.latencyMs)
        return server.member.server !== undefined ? { ...raw, server: server.member.server } : raw
      } catch (e) {
        if (deadline.signal.aborted) {
          const reason = deadline.signal.reason as unknown
          // Our deadline, not the caller's abort: no answer in time is a failure of this server too.
          if (reason instanceof TimeoutError) this.pool.failed(server, `no answer within ${this.settings.timeoutMs} ms`)
          throw reason instanceof Error ? withServer(reason, server, this.several) : reason
        }
        // Withdrawn from a server given up: straight to another one (the loop's acquire), or not asked.
        if (attempt.signal.aborted) continue
        if (!(e instanceof ServerError)) {
          // A reply that is not an answer (an error sent with HTTP 200, a proxy's page) is the server failing; a bug of ours is not.
          if (e instanceof EngineError && !(e instanceof NotAskedError) && server.member.server !== undefined) this.pool.failed(server, e.message)
          throw withServer(e as Error, server, this.several)
        }
        if (!e.retryable) {
          // A final HTTP reply (400, 404, …) is about the question; the server itself is working.
          if (e.status !== undefined) this.pool.answered(server)
          throw withServer(e, server, this.several)
        }
        this.pool.failed(server, e.message)
        reached ||= e.reached
        if (retries >= this.settings.retries) throw this.final(e, retries + 1, reached, `MMLU_RETRIES=${this.settings.retries}`, server)
        const delay = this.pool.healthyOther(server) ? 0 : this.backoff(retries)
        if (deadline.remaining() <= delay) throw this.final(e, retries + 1, reached, `the next would start after the question's deadline, MMLU_TIMEOUT_MS=${this.settings.timeoutMs}`, server)
        retries++
        avoid = server
        await server.health.sleep(delay, deadline.signal)
      } finally {
        deadline.signal.removeEventListener('abort', onDeadline)
        server.end(seq)
        this.pool.release(server)
      }
    }
  }

  /** The last failure, final: with the attempts made; not asked at all when every attempt was refused before it was sent. */
  private final(e: ServerError, attempts: number, reached: boolean, why: string, server: ServerState): EngineError {
    const tried = `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}, ${why}`
    if (!reached) return withServer(new NotAskedError(`not asked: ${e.message} (${tried}; none reached the server)`), server, this.several)
    return withServer(new ServerError(`${e.message} (${tried})`, false, e.status), server, this.several)
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.close()))
  }
}

/**
 * One engine over the members (one backend kind, one model): what the suite
 * opens. Every member is opened before this; the weights check (same digest on
 * every server) is the caller's, where the digests come from.
 */
export function openServerPool(members: readonly PoolMember[], settings: DispatchSettings): Engine {
  if (members.length === 0) throw new EngineError('no server to send questions to')
  const first = members[0]!.engine
  const auto = settings.concurrency === 'auto'
  const states = members.map(
    (m) => new ServerState(m, auto ? 1 : (settings.concurrency as number), auto ? Math.min(settings.autoMax, m.engine.concurrencyLimit ?? settings.autoMax) : undefined, settings.goneAfterMs ?? GONE_AFTER_MS, settings.now ?? Date.now),
  )
  const pool = new ServerPool(states)
  const names = states.map((s) => s.name)
  const info: EngineInfo =
    members.length === 1
      ? first.info
      : {
          ...first.info,
          source: names.join(', '),
          server: names.join(', '),
          reason: `${members.length} servers share the questions (${first.info.reason})`,
          details: { ...first.info.details, servers: members.length },
          // One simulated server among real ones makes the whole run simulated.
          ...(members.some((m) => m.engine.info.simulated) ? { simulated: true as const } : {}),
        }
  const contexts = members.map((m) => m.engine.trainedContextTokens).filter((n): n is number => n !== undefined)
  return {
    info,
    // What every server can do, in the first one's order of preference.
    scoringModes: first.scoringModes.filter((m) => members.every((x) => x.engine.scoringModes.includes(m))),
    ...(contexts.length === members.length ? { trainedContextTokens: minOf(contexts) } : {}),
    ...(first.countTokens ? { countTokens: first.countTokens.bind(first) } : {}),
    async openSession(request: SessionRequest): Promise<Session> {
      const sessions = new Map<ServerState, Session>()
      try {
        for (const s of states) sessions.set(s, await s.member.engine.openSession({ ...request, concurrency: s.auto ? s.auto.max : s.level }))
      } catch (e) {
        await Promise.all([...sessions.values()].map((x) => x.close()))
        throw e
      }
      return new Dispatcher(pool, sessions, settings)
    },
  }
}
