// Issue 25 items 5 and 6, end to end: two loopback servers, B answering HTTP
// 200 garbage from its 20th question. B is ejected, then given up; its
// questions go to A; the summary names B with when and where its questions
// went; the errors are outside the accuracy, counted on its line, and the run
// exits 1. Every count is checked against what the servers saw and the run
// reported, never against a time. The rules themselves: dispatch-eject.test.ts.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { renderMarkdownSummary } from '../reporters/render/markdown.js'
import type { ModelServer } from '../fixtures/servers/model-server.js'
import { startModelServer } from '../fixtures/servers/model-server.js'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { runVitest } from './helpers/run-vitest.js'

let a: ModelServer
let b: ModelServer
let emptyStore: string
beforeAll(async () => {
  // 200 ms a question: A alone still has about 6 s of questions left when B's cool-downs (1 + 2 + 4 + 8 s) have run out
  // and B is given up (a slower machine only adds to that).
  ;[a, b] = await Promise.all([startModelServer({ slots: 1, latencyMs: 200 }), startModelServer({ slots: 1, latencyMs: 200 })])
  emptyStore = await mkdtemp(path.join(os.tmpdir(), 'mmlu-empty-store-'))
})
afterAll(async () => {
  await Promise.all([a.close(), b.close()])
  await rm(emptyStore, { recursive: true, force: true })
})

const isQuestion = (r: { prompt?: string }) => r.prompt?.includes('\nA. ') === true
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

describe.skipIf(!HAS_REAL_DATA)('a server that fails fast', () => {
  test('B answers HTTP 200 garbage from its 20th question: ejected, then given up and named; few errors; accuracy over the answered', { timeout: 120_000 }, async () => {
    b.config.fault = (r) => (isQuestion(r) && b.inference().filter(isQuestion).length >= 20 ? { status: 200, error: 'model runner has unexpectedly stopped' } : undefined)
    const run = await runVitest(['evals/astronomy'], { env: { OLLAMA_HOST: `${a.url},${b.url}`, OLLAMA_MODELS: emptyStore, MMLU_DATA_DIR: REAL_DATA_DIR }, timeoutMs: 110_000 })
    expect(run.code, run.output).toBe(1)
    const results = run.results!
    console.log(run.output.split('\n').filter((l) => /^(Accuracy|Answers|Servers|  )/.test(l)).join('\n'))
    const s = results.summary
    const garbage = b.inference().filter((r) => r.fault !== undefined).length
    const answeredBy = (m: ModelServer) => m.inference().filter((r) => isQuestion(r) && r.fault === undefined && r.status === 200).length

    // Each question once: answered by A or B, or an error from one of B's garbage replies; none lost, none twice.
    expect(s.errors).toBe(garbage)
    expect(results.records.filter((r) => r.outcome === 'error').every((r) => r.server === b.url)).toBe(true)
    expect(answeredBy(a) + answeredBy(b) + garbage).toBe(152)
    expect(answeredBy(b)).toBe(19)
    // Ejected after 5 in a row, then one probe per cool-down: a handful, where least-outstanding alone sent B most of the rest.
    expect(garbage).toBeLessThanOrEqual(12)

    // Named in the summary: when, after how long, and where the questions went after that (A, as the run recorded).
    const gone = results.serversGivenUp ?? []
    expect(gone.map((g) => g.server)).toEqual([b.url])
    const movedToA = gone[0]!.after[a.url]!
    // What the summary counts: A's questions started once B was given up (B's own in-flight ones excluded).
    const at = gone[0]!.atMs + Math.min(...results.records.map((r) => r.startedAt))
    expect(movedToA).toBe(results.records.filter((r) => r.server === a.url && r.startedAt >= at).length)
    expect(movedToA).toBeGreaterThan(0)
    expect(gone[0]!.failingMs).toBeGreaterThanOrEqual(8_000)
    const line = new RegExp(`server ${esc(b.url)} given up at \\d+ s after (\\d+\\.\\d) s of failures; the ${movedToA} questions started after that went to ${esc(a.url)}`)
    expect(run.output).toMatch(line)
    expect(renderMarkdownSummary(results, undefined, { flipsShown: 0 })).toMatch(line)
    const page = await readFile(path.join(path.dirname(run.resultsPath), 'index.html'), 'utf8')
    expect(page).toMatch(line)

    // Item 6: the errors are not the model's answers. Accuracy over the answered, the errors left out on the same line.
    expect(s.questions).toBe(s.correct + s.wrong + s.invalid)
    expect(s.questions).toBe(152 - garbage)
    expect(s.microAccuracy).toBeCloseTo(s.correct / (152 - garbage), 12)
    expect(run.output).toMatch(new RegExp(`\\(${s.correct}/${s.questions}, every question equal; ${garbage} errors left out\\)`))
  })
})
