// Issue 15 items 1 and 2, end to end: several servers in one run
// (OLLAMA_HOST=a,b), the weights check at start, a server lost mid-run, and
// MMLU_CONCURRENCY=auto in the header. The dispatcher's rules themselves are
// unit-tested in dispatch.test.ts.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { renderMarkdownSummary } from '../reporters/render/markdown.js'
import type { ModelServer } from '../fixtures/servers/model-server.js'
import { DEFAULT_MODEL, startModelServer } from '../fixtures/servers/model-server.js'
import type { ResultsFile } from '../src/run/results.js'
import { HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { runVitest } from './helpers/run-vitest.js'

let a: ModelServer
let b: ModelServer
let emptyStore: string
beforeAll(async () => {
  ;[a, b] = await Promise.all([startModelServer({ slots: 1 }), startModelServer({ slots: 1 })])
  emptyStore = await mkdtemp(path.join(os.tmpdir(), 'mmlu-empty-store-'))
})
afterAll(async () => {
  await Promise.all([a.close(), b.close()])
  await rm(emptyStore, { recursive: true, force: true })
})

const env = (hosts: string, extra: Record<string, string> = {}) => ({ OLLAMA_HOST: hosts, OLLAMA_MODELS: emptyStore, MMLU_DATA_DIR: REAL_DATA_DIR, ...extra })
/** Answers per second over the questions' own span (start-up and model checks excluded). */
const throughput = (r: ResultsFile) => r.records.length / ((Math.max(...r.records.map((x) => x.startedAt + x.latencyMs)) - Math.min(...r.records.map((x) => x.startedAt))) / 1000)

describe.skipIf(!HAS_REAL_DATA)('several servers in one run', () => {
  test('two one-slot servers at 100 ms a request: ≥ 1.7× the throughput of one; each answer says which server gave it', async () => {
    for (const s of [a, b]) Object.assign(s.config, { latencyMs: 100, fault: undefined })
    a.reset()
    const one = await runVitest(['evals/astronomy'], { env: env(a.url, { MMLU_LIMIT: '24' }) })
    expect(one.code, one.output).toBe(0)
    a.reset()
    b.reset()
    const two = await runVitest(['evals/astronomy'], { env: env(`${a.url},${b.url}`, { MMLU_LIMIT: '24' }) })
    expect(two.code, two.output).toBe(0)
    const ratio = throughput(two.results!) / throughput(one.results!)
    console.log(`two servers vs one, 100 ms a request: ${ratio.toFixed(2)}×`)
    expect(ratio).toBeGreaterThanOrEqual(1.7)
    // One question at a time per server, the questions shared out, each asked once.
    expect([a.maxInFlight, b.maxInFlight]).toEqual([1, 1])
    expect(a.inference().length + b.inference().length).toBe(24)
    const by = (url: string) => two.results!.records.filter((r) => r.server === url).length
    expect(by(a.url) + by(b.url)).toBe(24)
    expect(Math.min(by(a.url), by(b.url))).toBeGreaterThanOrEqual(10)
    // The header, the per-server table and the provenance name both.
    expect(two.output).toMatch(/concurrency 1 per server, 2 servers/)
    expect(two.output).toMatch(new RegExp(`Servers\\n  server +answered +errors +mean +p95\\n  ${a.url.replace(/\./g, '\\.')} +\\d+ +0 +\\d+ ms +\\d+ ms\\n  ${b.url.replace(/\./g, '\\.')} +\\d+ +0 `))
    expect(two.results!.provenance[0]).toMatchObject({ source: `${a.url}, ${b.url}`, details: { servers: 2 } })
    expect(two.results!.config).toMatchObject({ concurrency: 1, servers: 2 })
    // The Markdown summary and the page carry the same per-server table.
    const md = renderMarkdownSummary(two.results!, undefined, { flipsShown: 0 })
    expect(md).toMatch(new RegExp(`\\| ${a.url.replace(/\./g, '\\.')} \\| ${by(a.url)} \\| 0 \\| \\d+ ms \\| \\d+ ms \\|`))
    const page = await readFile(path.join(path.dirname(two.resultsPath), 'index.html'), 'utf8')
    expect(page).toContain(`<tr data-server="${a.url}"><td>${a.url}</td><td>${by(a.url)}</td><td>0</td>`)
  })

  test('a server with other weights: the run stops at start, naming both, and asks nothing', async () => {
    b.config.models = [{ ...DEFAULT_MODEL, blobDigest: 'f'.repeat(64) }]
    a.reset()
    b.reset()
    try {
      const run = await runVitest(['evals/astronomy'], { env: env(`${a.url},${b.url}`, { MMLU_LIMIT: '4' }) })
      expect(run.code).toBe(1)
      expect(run.output).toContain(`The servers in OLLAMA_HOST do not serve the same weights of llama3.2:1b: ${a.url} has sha256:${DEFAULT_MODEL.blobDigest}, ${b.url} has sha256:${'f'.repeat(64)}.`)
      expect(a.inference().length + b.inference().length).toBe(0)
    } finally {
      b.config.models = [DEFAULT_MODEL]
    }
  })

  test('one of two servers dies mid-run: its questions move to the other, no answer lost, none asked twice once answered', async () => {
    const doomed = await startModelServer({ slots: 1, latencyMs: 20 })
    Object.assign(a.config, { latencyMs: 20, fault: undefined })
    a.reset()
    try {
      doomed.config.fault = () => (doomed.inference().length === 6 ? 'die' : undefined)
      const run = await runVitest(['evals/astronomy'], { env: env(`${a.url},${doomed.url}`, { MMLU_LIMIT: '40', MMLU_CONCURRENCY: '2' }) })
      expect(run.code, run.output).toBe(0)
      expect(run.results!.summary).toMatchObject({ questions: 40, errors: 0, notAsked: 0 })
      const answered = [...a.inference(), ...doomed.inference()].filter((r) => r.status === 200)
      expect(answered).toHaveLength(40)
      expect(new Set(answered.map((r) => r.prompt)).size).toBe(40)
      expect(run.results!.records.filter((r) => r.server === doomed.url)).toHaveLength(doomed.inference().filter((r) => r.status === 200).length)
    } finally {
      await doomed.close()
    }
  })

  test('MMLU_CONCURRENCY=auto against a four-slot server: it settles at 4 or 8 and the header says why', async () => {
    Object.assign(a.config, { latencyMs: 40, slots: 4, fault: undefined })
    a.reset()
    try {
      const run = await runVitest(['evals/astronomy'], { env: env(a.url, { MMLU_CONCURRENCY: 'auto', MMLU_LIMIT: '100' }) })
      expect(run.code, run.output).toBe(0)
      expect(run.output).toMatch(/concurrency (4|8) \(auto: 1→2 \+\d+%, 2→4 \+\d+%, 4→8 [+−]\d+%/)
      expect(run.results!.config).toMatchObject({ concurrency: expect.any(Number), concurrencyAuto: expect.stringMatching(/^auto: 1→2 /) })
      expect(a.maxInFlight).toBeLessThanOrEqual(4)
    } finally {
      a.config.slots = 1
    }
  })
})
