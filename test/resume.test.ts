// Issue acceptance: an interrupted run resumes from the answer cache. The
// engine is the loopback Ollama test double, which counts every request, so
// the test sees exactly which questions the rerun asked.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ModelServer } from '../fixtures/servers/model-server.js'
import { startModelServer } from '../fixtures/servers/model-server.js'
import type { QuestionRecord } from '../src/run/results.js'
import { HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { byPrompt, longestChoice } from './helpers/model-server-rules.js'
import { runVitest } from './helpers/run-vitest.js'

let server: ModelServer
let store: string
beforeAll(async () => {
  server = await startModelServer({ answer: byPrompt(longestChoice), latencyMs: 60, slots: 1 })
  store = await mkdtemp(path.join(os.tmpdir(), 'mmlu-empty-store-'))
})
afterAll(async () => {
  await server.close()
  await rm(store, { recursive: true, force: true })
})

const stable = ({ startedAt, latencyMs, cached, ...rest }: QuestionRecord) => rest

describe.skipIf(!HAS_REAL_DATA)('resume after an interruption', () => {
  test('SIGINT after about half a subject; the rerun asks only the rest and ends with the uninterrupted results; MMLU_CACHE=refresh asks everything again', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mmlu-cache-'))
    const env = { OLLAMA_HOST: server.url, OLLAMA_MODELS: store, MMLU_DATA_DIR: REAL_DATA_DIR, XDG_CACHE_HOME: cache }

    // 100 questions × 60 ms, one at a time: about 6 s of answering after start-up.
    server.reset()
    server.config.latencyMs = 60
    // Ctrl-C once 30-69 questions are answered, as the progress lines say: at least 30 are in the cache.
    const cut = await runVitest(['evals/business_ethics'], { env: { ...env, MMLU_PROGRESS_MS: '50' }, interruptWhen: /progress\s+[3-6]\d\/100 questions/ })
    expect(cut.code).not.toBe(0)
    const [file] = await readdir(path.join(cache, 'vitest-mmlu', 'answers'))
    const kept = (await readFile(path.join(cache, 'vitest-mmlu', 'answers', file!), 'utf8')).trim().split('\n')
    expect(kept.length).toBeGreaterThanOrEqual(30)
    expect(cut.results!.status).toBe('interrupted')
    // Every answer the interrupted run reported saving is in the cache. The cache may hold
    // more: a worker finishing its question in flight as the interrupt lands. So the counts
    // below are the cache's own, read once the whole process group is gone (runVitest).
    const reported = cut.results!.records
    expect(cut.output).toContain(`Interrupted: ${reported.length} answered questions saved to`)
    const cachedIndex = new Set(kept.map((line) => (JSON.parse(line) as QuestionRecord).index))
    expect(reported.filter((r) => !cachedIndex.has(r.index))).toEqual([])

    // The interrupt is behind us: the other runs need no time between answers.
    server.config.latencyMs = 0
    server.reset()
    const rerun = await runVitest(['evals/business_ethics'], { env })
    expect(rerun.code, rerun.output).toBe(0)
    // Only the questions not yet on disk reached the engine.
    expect(server.inference()).toHaveLength(100 - kept.length)
    expect(rerun.results!.summary).toMatchObject({ questions: 100, cached: kept.length })
    expect(rerun.output).toContain(`${kept.length} from the answer cache`)
    // Cached answers carry no timing into this run's statistics.
    expect(rerun.results!.records.filter((r) => r.cached)).toHaveLength(kept.length)

    // The uninterrupted run: MMLU_CACHE=refresh asks every question again, though all 100 are cached now.
    server.reset()
    const whole = await runVitest(['evals/business_ethics'], { env: { ...env, MMLU_CACHE: 'refresh' } })
    expect(whole.code, whole.output).toBe(0)
    expect(server.inference()).toHaveLength(100)
    expect(whole.results!.summary.cached).toBe(0)
    const byIndex = (rs: QuestionRecord[]) => [...rs].sort((a, b) => a.index - b.index).map(stable)
    expect(byIndex(rerun.results!.records)).toEqual(byIndex(whole.results!.records))
    expect(rerun.results!.summary.correct).toBe(whole.results!.summary.correct)
  })
})
