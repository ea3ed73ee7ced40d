// Issue 12 items 14 and 15, against the loopback server at real timings: a
// restart is not an outage, a queue that moves is not a timeout, and a dead
// server ends the run in seconds.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { startModelServer } from '../fixtures/servers/model-server.js'
import { openServerPool } from '../src/backends/dispatch.js'
import { openOllamaEngine } from '../src/backends/ollama.js'
import { AUTO_CONCURRENCY_MAX, DEFAULT_RETRIES } from '../src/config/options.js'
import { promptFor } from './helpers/fake-servers.js'
import { FIXTURE_DATA_DIR, HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { useLoopbackServer } from './helpers/loopback.js'
import { runVitest } from './helpers/run-vitest.js'

// An empty store: no run can fall back to a real Ollama store on this machine.
const loop = useLoopbackServer({}, { answer: () => 'B', latencyMs: 0, slots: 4, fault: undefined })

const env = (extra: Record<string, string> = {}) => ({ OLLAMA_HOST: loop.server.url, OLLAMA_MODELS: loop.emptyStore, MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', ...extra })

describe('a restart is not an outage (item 15)', () => {
  test('the server restarts mid-run and refuses connections for 3 s: every question answered once, no error, exit 0', async () => {
    loop.server.config.latencyMs = 50
    // The third request to arrive is dropped with every open connection; the port refuses for 3 s.
    loop.server.config.fault = () => (loop.server.inference().length === 3 ? { restart: 3_000 } : undefined)
    const t0 = performance.now()
    const run = await runVitest(['evals/astronomy'], { env: env({ MMLU_CONCURRENCY: '2' }) })
    expect(run.code, run.output).toBe(0)
    expect(performance.now() - t0).toBeGreaterThan(3_000)
    expect(run.results!.summary).toMatchObject({ questions: 8, correct: 2, errors: 0 })
    // Each prompt answered exactly once (200), whatever was dropped or refused on the way.
    const answered = loop.server.inference().filter((r) => r.status === 200)
    expect(answered).toHaveLength(8)
    expect(new Set(answered.map((r) => r.prompt)).size).toBe(8)
  })

  test('a 2-second burst of 503s, with the default retries: answered, nothing lost', async () => {
    const engine = openOllamaEngine({ host: loop.server.url, model: 'llama3.2:1b', reason: 'test', version: '0.12.11', facts: {}, promptFormat: 'raw', keepAlive: '30m', seed: 1, wantLogprobs: true })
    const session = await openServerPool([{ engine, server: loop.server.url }], { timeoutMs: 120_000, retries: DEFAULT_RETRIES, concurrency: 2, autoMax: AUTO_CONCURRENCY_MAX }).openSession({ scoring: 'logprob', concurrency: 2, maxTokens: 1 })
    const t0 = Date.now()
    loop.server.config.fault = () => (Date.now() - t0 < 2_000 ? { status: 503 } : undefined)
    const answers = await Promise.all([1, 2, 3].map((i) => session.answer(promptFor(i), new AbortController().signal)))
    expect(answers.map((a) => a.text)).toEqual([' B', ' B', ' B'])
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_000)
    expect(loop.server.inference().filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(3)
  })
})

describe('a queue that moves is not a timeout (item 15)', () => {
  test('one slot, 300 ms a request, 8 in flight, MMLU_TIMEOUT_MS=1000: the last waits 2.1 s, and every question is answered', async () => {
    Object.assign(loop.server.config, { slots: 1, latencyMs: 300 })
    const run = await runVitest(['evals/astronomy'], { env: env({ MMLU_CONCURRENCY: '8', MMLU_TIMEOUT_MS: '1000' }) })
    expect(run.code, run.output).toBe(0)
    expect(run.results!.summary).toMatchObject({ questions: 8, errors: 0 })
    expect(loop.server.maxInFlight).toBe(1)
    expect(Math.max(...run.results!.records.map((r) => r.latencyMs))).toBeGreaterThan(2_000)
    expect(loop.server.inference()).toHaveLength(8)
  })
})

describe.skipIf(!HAS_REAL_DATA)('a dead server ends the run in seconds (item 14)', () => {
  test('killed at its 20th request: the rest of both subjects not asked in one message, exit 1 within seconds; a rerun resumes from the cache', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mmlu-cache-'))
    const doomed = await startModelServer({ slots: 4 })
    try {
      doomed.config.fault = () => (doomed.inference().length === 20 ? 'die' : undefined)
      const runEnv = { OLLAMA_HOST: doomed.url, OLLAMA_MODELS: loop.emptyStore, MMLU_DATA_DIR: REAL_DATA_DIR, MMLU_LIMIT: '40', MMLU_CONCURRENCY: '2', XDG_CACHE_HOME: cache }
      const t0 = performance.now()
      const run = await runVitest(['evals/astronomy', 'evals/business_ethics'], { env: runEnv, args: ['--no-file-parallelism'] })
      const wallMs = performance.now() - t0
      expect(run.code, run.output).toBe(1)
      const records = run.results!.records
      expect(records).toHaveLength(80)
      const answered = records.filter((r) => r.outcome !== 'not-asked')
      expect(answered).toHaveLength(19)
      expect(answered.every((r) => r.outcome !== 'error')).toBe(true)
      expect(run.results!.summary).toMatchObject({ notAsked: 61, errors: 0 })
      // One message for all of them, naming the rule; the subject that ran second never sent a request.
      expect(run.output.match(/✗ 61 questions not asked \((astronomy, business_ethics|business_ethics, astronomy)\): not asked: the server is unreachable: http:\/\/127\.0\.0\.1:\d+ failed every request for \d+\.\d s and answered none/g)).toHaveLength(1)
      const subjectsSent = new Set(doomed.inference().map((r) => /about (astronomy|business ethics)\./.exec(r.prompt ?? '')?.[1]))
      expect(subjectsSent.size).toBe(1)
      expect(records.filter((r) => r.outcome === 'not-asked' && !subjectsSent.has(r.subject.replace('_', ' ')))).toHaveLength(40)
      // Seconds, not a retry cycle per question: the 8 s rule plus Vitest's start-up.
      expect(wallMs).toBeLessThan(40_000)

      // The server comes back where it was: the rerun asks only the 61.
      const revived = await startModelServer({ slots: 4 }, { port: doomed.port })
      try {
        const rerun = await runVitest(['evals/astronomy', 'evals/business_ethics'], { env: runEnv, args: ['--no-file-parallelism'] })
        expect(rerun.code, rerun.output).toBe(0)
        expect(rerun.results!.summary).toMatchObject({ questions: 80, notAsked: 0, errors: 0, cached: 19 })
        expect(revived.inference()).toHaveLength(61)
      } finally {
        await revived.close()
      }
    } finally {
      await doomed.close()
      await rm(cache, { recursive: true, force: true })
    }
  })
})
