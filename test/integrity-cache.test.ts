// Issue 12, "The answer cache", end to end: a cache shared by runs of
// different servers, a damaged cache file, a cache that cannot be written.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { appendFile, mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ModelServer } from '../fixtures/servers/model-server.js'
import { DEFAULT_MODEL, startModelServer } from '../fixtures/servers/model-server.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { runVitest } from './helpers/run-vitest.js'

let alwaysD: ModelServer
let alwaysA: ModelServer
beforeAll(async () => {
  ;[alwaysD, alwaysA] = await Promise.all([startModelServer({ answer: () => 'D', slots: 4 }), startModelServer({ answer: () => 'A', slots: 4 })])
})
afterAll(async () => {
  await Promise.all([alwaysD.close(), alwaysA.close()])
})

const cacheFiles = (cache: string) => readdirSync(path.join(cache, 'vitest-mmlu', 'answers')).map((f) => path.join(cache, 'vitest-mmlu', 'answers', f))
const openai = (server: ModelServer, cache: string) => ({
  MMLU_DATA_DIR: FIXTURE_DATA_DIR,
  MMLU_ALLOW_PARTIAL: '1',
  MMLU_BACKEND: 'openai',
  MMLU_OPENAI_BASE_URL: `${server.url}/v1`,
  XDG_CACHE_HOME: cache,
})

describe('the answer cache', () => {
  test('two servers with the same model id: the second run asks its own server, never replays the first one’s answers', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mmlu-cache-servers-'))
    const d = await runVitest(['evals/astronomy'], { env: openai(alwaysD, cache) })
    expect(d.results!.records.every((r) => r.given === 'D')).toBe(true)
    alwaysA.reset()
    const a = await runVitest(['evals/astronomy'], { env: openai(alwaysA, cache) })
    expect(a.code, a.output).toBe(0)
    expect(alwaysA.inference().filter((r) => r.body?.prompt !== 'Answer:')).toHaveLength(8)
    expect(a.results!.summary.cached).toBe(0)
    expect(a.results!.records.map((r) => r.given)).toEqual(Array(8).fill('A'))
    expect(a.output).toContain(`weights ${alwaysA.url}/v1`)
    // The same server again replays everything: checked by the other-weights test's last run.
  })

  // Two damaged lines in one rerun (one spawned run instead of two), each an issue's reproduction.
  test('damaged cache lines are ignored, counted, and their questions asked again; the run and its page complete', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mmlu-cache-damaged-'))
    const first = await runVitest(['evals/astronomy'], { env: { ...openai(alwaysD, cache), MMLU_LIMIT: '5' } })
    expect(first.code, first.output).toBe(0)
    expect(first.results!.records[0]!.probabilities).toBeDefined()
    const [file] = cacheFiles(cache)
    // Issue 25 bug 1: all-zero probabilities passed the type check, then calibration threw: exit 1, no results, every rerun alike.
    const [line, ...rest] = readFileSync(file!, 'utf8').split('\n')
    const zeroed = { ...(JSON.parse(line!) as { index: number }), probabilities: { A: 0, B: 0, C: 0, D: 0 } }
    writeFileSync(file!, [JSON.stringify(zeroed), ...rest].join('\n'))
    // The reproduction from the issue: a record with an index and nothing else, plus a record for a question that changed.
    await appendFile(file!, '{"index":5}\n')
    alwaysD.reset()
    const rerun = await runVitest(['evals/astronomy'], { env: openai(alwaysD, cache) })
    expect(rerun.code, rerun.output).toBe(0)
    expect(rerun.output).toContain('Cache      2 cached answers ignored (2 malformed) and asked again')
    expect(rerun.results!.summary).toMatchObject({ questions: 8, cached: 4, timed: 4, cacheIgnored: { malformed: 2 } })
    // Both asked again, not taken from the cache: the server answered them.
    for (const index of [zeroed.index, 5]) {
      const record = rerun.results!.records.find((r) => r.index === index)
      expect(record, `#${index}`).toMatchObject({ given: 'D' })
      expect(record, `#${index}`).not.toHaveProperty('cached')
    }
    expect(rerun.results!.analysis?.failed).toBeUndefined()
    expect(rerun.output).toMatch(/Time {7}wall .* \(4 fresh answers; the 4 cached ones are not timed\)/)
    expect(rerun.output).toMatch(/Summary {4}.*index\.html/)
    // Issue 25 item 9: counted once, then compacted away; the next run finds nothing to ignore.
    const third = await runVitest(['evals/astronomy'], { env: openai(alwaysD, cache) })
    expect(third.results!.summary).toMatchObject({ questions: 8, cached: 8, cacheIgnored: {} })
    expect(third.output).not.toContain('cached answers ignored')
  })

  // Issue 25 bug 3: same URL, same model id, other weights (vLLM's root): the second run replayed the first one's answers.
  test('the same server and model id with other weights (another root) asks again; the same weights replay', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mmlu-cache-root-'))
    const server = await startModelServer({ answer: () => 'A', slots: 4, models: [{ ...DEFAULT_MODEL, openai: { root: '/models/llama-3.2-1b-q8_0', owned_by: 'vllm' } }] })
    try {
      const q8 = await runVitest(['evals/astronomy'], { env: openai(server, cache) })
      expect(q8.results!.records.map((r) => r.given)).toEqual(Array(8).fill('A'))
      server.config.models = [{ ...DEFAULT_MODEL, openai: { root: '/models/llama-3.2-1b-q4_k_m', owned_by: 'vllm' } }]
      server.config.answer = () => 'D'
      server.reset()
      const q4 = await runVitest(['evals/astronomy'], { env: openai(server, cache) })
      expect(q4.code, q4.output).toBe(0)
      expect(q4.results!.summary.cached).toBe(0)
      expect(q4.results!.records.map((r) => r.given)).toEqual(Array(8).fill('D'))
      expect(q4.output).toContain('root /models/llama-3.2-1b-q4_k_m')
      // The listing's time (vLLM's `created`) is not identity: the same weights again replay,
      // everything from the cache (D is right at #3 and #7), nothing timed, and it says so.
      const again = await runVitest(['evals/astronomy'], { env: openai(server, cache) })
      expect(again.results!.summary).toMatchObject({ cached: 8, timed: 0, correct: 2 })
      // The q4 weights' answers, not the q8 ones' (both are right twice on astronomy's keys).
      expect(again.results!.records.map((r) => r.given)).toEqual(Array(8).fill('D'))
      expect(again.output).toContain('all answers from the cache: nothing timed (MMLU_CACHE=off to time)')
      expect(again.output).not.toMatch(/0\.00 ms|– q\/s/)
    } finally {
      await server.close()
    }
  })

  // Issue 25 item 9: only the first failed file was named, and the results JSON did not say the cache was not written.
  test('a cache that cannot be written: every answer still counts, one warning names every file, the results JSON records it', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mmlu-cache-broken-'))
    await runVitest(['evals/astronomy', 'evals/business_ethics'], { env: { ...openai(alwaysD, cache), MMLU_LIMIT: '1' } })
    const files = cacheFiles(cache)
    expect(files).toHaveLength(2)
    // The cache files' places are taken by folders: every write fails, as on a full disk.
    for (const file of files) {
      rmSync(file)
      mkdirSync(file)
    }
    const run = await runVitest(['evals/astronomy', 'evals/business_ethics'], { env: openai(alwaysD, cache) })
    expect(run.code, run.output).toBe(0)
    expect(run.results!.summary).toMatchObject({ errors: 0 })
    expect(run.output).toContain('✓ astronomy  2/8 correct')
    const warnings = run.output.match(/the answer cache is not being written for 2 subjects \(.*\)/g)
    expect(warnings, run.output).toHaveLength(1)
    for (const file of files) expect(warnings![0]).toContain(`${file}: EISDIR`)
    expect(run.results!.cacheWriteErrors?.map((e) => e.subject).sort()).toEqual(['astronomy', 'business_ethics'])
    expect(run.results!.cacheWriteErrors?.map((e) => e.error).sort()).toEqual(files.map((f) => `${f}: EISDIR`).sort())
  })
})
