// Issue 12, server side, end to end against the loopback server: what a run
// reports when the server's answers hold no letter, and which spelling of the
// letter is read.
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { FIXTURE_DATA_DIR, HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { useLoopbackServer } from './helpers/loopback.js'
import { runVitest } from './helpers/run-vitest.js'

// An empty store: no run can fall back to a real Ollama store on this machine.
const loop = useLoopbackServer({ slots: 4 }, { answer: () => 'B', letters: 'all', letterForm: 'natural', topLogprobs: undefined, fault: undefined })

const env = (extra: Record<string, string>) => ({ OLLAMA_HOST: loop.server.url, OLLAMA_MODELS: loop.emptyStore, MMLU_CONCURRENCY: '4', ...extra })

describe.skipIf(!HAS_REAL_DATA)('no letter in the top log-probs', () => {
  test('an Ollama server whose first token is " The", never a letter: astronomy 0 correct, 152 invalid with the reason, and the output says so', async () => {
    loop.server.config.letters = 'none'
    const run = await runVitest(['evals/astronomy'], { env: env({ MMLU_DATA_DIR: REAL_DATA_DIR }) })
    expect(run.results!.summary).toMatchObject({ questions: 152, correct: 0, wrong: 0, invalid: 152, errors: 0 })
    for (const r of run.results!.records) {
      expect(r).toMatchObject({ given: null, outcome: 'invalid', text: ' The', letterForm: 'spaced', probabilities: { A: 0, B: 0, C: 0, D: 0 } })
      expect(r.invalidReason).toMatch(/no probability for any of the letters A-D/)
    }
    // Exit 0 is honest only because every output says what happened: no answer counted, all invalid.
    expect(run.output).toContain('astronomy  0/152 correct')
    expect(run.output).toContain('(152 invalid)')
    expect(run.output).toContain('0 correct · 0 wrong · 152 invalid (no letter) · 0 errors')
    expect(loop.server.promptCounts().size).toBe(152)
  })
})

// One spawned run, two subjects: the spelling read on astronomy, a reply that is only an error on business_ethics.
describe('the spelling of the letter the reference scores; an Ollama reply that is only an error', () => {
  test('{" B": .30, "A": .20, " A": .15} on every question: a raw run answers B throughout, recorded as the spaced form; a 200 reply with only an error is an error that says what the server said', async () => {
    loop.server.config.topLogprobs = () => [{ token: ' B', logprob: Math.log(0.3) }, { token: 'A', logprob: Math.log(0.2) }, { token: ' A', logprob: Math.log(0.15) }]
    loop.server.config.fault = (r) => (r.prompt?.includes('about business ethics') ? { status: 200, error: 'model runner has unexpectedly stopped' } : undefined)
    const run = await runVitest(['evals/astronomy', 'evals/business_ethics'], { env: env({ MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1' }) })
    expect(run.code, run.output).toBe(1)
    // astronomy fixture keys C A B D C A B D: B is right twice; adding the spellings would have answered A, right twice too, at other questions.
    const astronomy = run.results!.records.filter((r) => r.subject === 'astronomy')
    expect(astronomy.map((r) => [r.index, r.given, r.letterForm])).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i, 'B', 'spaced']))
    expect(run.results!.subjects.find((s) => s.subject === 'astronomy')).toMatchObject({ correct: 2, wrong: 6, invalid: 0, errors: 0 })
    expect(run.output).toContain('the reply has no response field: model runner has unexpectedly stopped')
    expect(run.results!.subjects.find((s) => s.subject === 'business_ethics')).toMatchObject({ correct: 0, invalid: 0, errors: 8 })
  })
})

describe('a reply that is not a completion: HTTP 200 with an error in the body (a server under memory pressure, vLLM\'s error shape, a proxy\'s page)', () => {
  const openai = (extra: Record<string, string>) => ({ MMLU_BACKEND: 'openai', MMLU_OPENAI_BASE_URL: `${loop.server.url}/v1`, MMLU_MODEL: 'llama3.2:1b', MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', MMLU_CONCURRENCY: '4', ...extra })

  test('generate scoring: each such reply is an error, never an empty answer counted invalid, and never cached', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mmlu-cache-'))
    loop.server.config.fault = () => ({ status: 200, error: 'CUDA out of memory' })
    const run = await runVitest(['evals/business_ethics'], { env: openai({ MMLU_SCORING: 'generate', XDG_CACHE_HOME: cache }) })
    expect(run.code, run.output).toBe(1)
    expect(run.output).toContain('CUDA out of memory')
    expect(run.results!.summary).toMatchObject({ correct: 0, invalid: 0, errors: 8 })
    // The server recovers: every question is asked again, none replayed from the cache.
    loop.server.config.fault = undefined
    loop.server.reset()
    const rerun = await runVitest(['evals/business_ethics'], { env: openai({ MMLU_SCORING: 'generate', XDG_CACHE_HOME: cache }) })
    expect(rerun.code, rerun.output).toBe(0)
    expect(loop.server.inference()).toHaveLength(8)
    expect(rerun.results!.summary).toMatchObject({ correct: 2, errors: 0, cached: 0 })
  })

  test('log-prob scoring: the one-token test request gets one, and the run stops at start instead of scoring by generate', async () => {
    loop.server.config.fault = () => ({ status: 200, error: 'CUDA out of memory' })
    const run = await runVitest(['evals/business_ethics'], { env: openai({}) })
    expect(run.code, run.output).toBe(1)
    expect(run.output).not.toContain('scoring by generate')
    expect(run.output).toMatch(/failed a one-token test request \(.*CUDA out of memory/)
    expect(run.results).toBeUndefined()
  })
})
