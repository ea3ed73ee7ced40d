// Several servers in one run, as the reporter shows them: per server, the
// questions it answered or failed and its latency; and the concurrency the run
// used, when MMLU_CONCURRENCY=auto chose it. Pure functions over what the tests
// recorded (QuestionRecord.server, the sessions' details); reporters/render/
// servers.ts turns them into text.
import type { ServerGivenUp } from '../backends/backend.js'
import type { Concurrency } from '../config/options.js'
import type { QuestionRecord } from '../base/record.js'
import { mean, percentile } from '../base/stats.js'
import { maxOf } from '../base/extent.js'

export interface ServerSummary {
  /** The server's base URL, without credentials. */
  server: string
  /** Questions it answered (invalid answers included: they came back). */
  answered: number
  /** Questions whose last attempt failed there. */
  errors: number
  /** Answered questions, as in the subject table: fresh answers only (cached ones cost no time). */
  latencyMs: { mean: number; p95: number }
}

/** One row per server that answered or failed a question this run, in order of first appearance. */
export function summarizeServers(records: readonly QuestionRecord[]): ServerSummary[] {
  const by = new Map<string, QuestionRecord[]>()
  for (const r of records) {
    if (r.server === undefined || r.cached) continue
    const list = by.get(r.server)
    if (list) list.push(r)
    else by.set(r.server, [r])
  }
  return [...by].map(([server, rs]) => {
    const answered = rs.filter((r) => r.outcome === 'correct' || r.outcome === 'wrong' || r.outcome === 'invalid')
    const latencies = answered.map((r) => r.latencyMs)
    return {
      server,
      answered: answered.length,
      errors: rs.filter((r) => r.outcome === 'error').length,
      latencyMs: { mean: mean(latencies), p95: percentile(latencies, 95) },
    }
  })
}

type Details = Readonly<Record<string, string | number | boolean>>

/**
 * The concurrency the run used, per server: MMLU_CONCURRENCY, or for `auto`
 * what the dispatcher reported in each subject's session details
 * (`concurrency` for one server, `concurrency <url>` for several; the value
 * reads `4 (auto: 1→2 +92%, …)`). The latest subject's word counts: a
 * worker's servers keep their level from file to file.
 */
export function concurrencyUsed(setting: Concurrency, sessions: readonly Details[]): { level: number; auto?: string } {
  if (setting !== 'auto') return { level: setting }
  const per = new Map<string, string>()
  for (const details of sessions) {
    for (const [key, value] of Object.entries(details)) {
      if (key === 'concurrency' || key.startsWith('concurrency ')) per.set(key.slice('concurrency'.length).trim(), String(value))
    }
  }
  const levels = [...per.values()].map((v) => Number.parseInt(v, 10)).filter((n) => Number.isInteger(n) && n > 0)
  if (levels.length === 0) return { level: 1, auto: 'auto: nothing measured' }
  const text = [...per].map(([server, v]) => (server ? `${server} ${v}` : v.replace(/^\d+ \((.*)\)$/, '$1'))).join('; ')
  return { level: maxOf(levels), auto: text }
}

/** A server given up mid-run, as the summary names it. */
export interface GivenUpSummary {
  server: string
  /** When, in ms after the run's first question started (the earliest worker to give it up). */
  atMs: number
  /** How long it had failed every request by then. */
  failingMs: number
  /** The questions started after that, by where they went: a server, or `not asked`. */
  after: Record<string, number>
}

/** Each server given up (as the sessions reported it, `SubjectRun.serversGivenUp`), and where the questions went from then on. */
export function summarizeGivenUp(events: readonly ServerGivenUp[], records: readonly QuestionRecord[]): GivenUpSummary[] {
  const first = new Map<string, ServerGivenUp>()
  for (const e of events) if (!first.has(e.server) || e.at < first.get(e.server)!.at) first.set(e.server, e)
  if (first.size === 0) return []
  const fresh = records.filter((r) => !r.cached)
  const start = fresh.reduce((m, r) => Math.min(m, r.startedAt), Infinity)
  return [...first.values()].map((e) => {
    const after: Record<string, number> = {}
    for (const r of fresh) {
      if (r.startedAt < e.at || r.server === e.server) continue
      const where = r.outcome === 'not-asked' ? 'not asked' : (r.server ?? 'not asked')
      after[where] = (after[where] ?? 0) + 1
    }
    return { server: e.server, atMs: Number.isFinite(start) ? Math.max(0, e.at - start) : 0, failingMs: e.failingMs, after }
  })
}
