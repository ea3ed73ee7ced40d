// The benchmark's hooks into the product: MMLU_ENGINE_MODULE opens a module's
// engine instead of the built-in ones, and the instant engine answers
// deterministically (B1 compares a Vitest run with a bare loop by its answers).
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import type { ConcurrencyReport, ConcurrencyRow } from '../bench/report.js'
import { renderConcurrency } from '../bench/report.js'
import { instantAnswer } from '../bench/instant-engine.js'
import { writeScaleTopic } from '../bench/scale.js'
import { loadTopic } from '../src/dataset/topic.js'
import { openEngine } from '../src/backends/index.js'
import { readOptions } from '../src/config/options.js'

describe('MMLU_ENGINE_MODULE', () => {
  test('opens the default export of the module it names, relative to the cwd', async () => {
    const engine = await openEngine(readOptions({ MMLU_ENGINE_MODULE: 'bench/instant-engine.ts' }), 1)
    expect(engine.info.engine).toBe('instant')
    const session = await engine.openSession({ scoring: 'logprob', concurrency: 1, maxTokens: 1 })
    const raw = await session.answer({ prefix: 'P', suffix: 'Q\nAnswer:', shots: 0 }, new AbortController().signal)
    expect(raw.text).toMatch(/^ [ABCD]$/)
  })

  test('a missing module or one without a default export is a clear error naming the setting', async () => {
    await expect(openEngine(readOptions({ MMLU_ENGINE_MODULE: 'bench/no-such-engine.ts' }), 1)).rejects.toThrow(/MMLU_ENGINE_MODULE=bench\/no-such-engine\.ts: could not import .*no-such-engine\.ts/)
    await expect(openEngine(readOptions({ MMLU_ENGINE_MODULE: 'bench/report.ts' }), 1)).rejects.toThrow(/MMLU_ENGINE_MODULE=bench\/report\.ts: .* has no default export/)
  })
})

describe('instant engine', () => {
  test('the same question always gets the same probabilities; the letter is their argmax', () => {
    const a = instantAnswer({ prefix: 'x', suffix: 'What is 2+2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:', shots: 0 })
    const b = instantAnswer({ prefix: 'other prefix', suffix: 'What is 2+2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:', shots: 5 })
    const c = instantAnswer({ prefix: 'x', suffix: 'What is 2+3?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:', shots: 0 })
    expect(b.probabilities).toEqual(a.probabilities)
    expect(c.probabilities).not.toEqual(a.probabilities)
    const p = a.probabilities as Record<'A' | 'B' | 'C' | 'D', number>
    expect(p.A + p.B + p.C + p.D).toBeCloseTo(1, 12)
    const best = (['A', 'B', 'C', 'D'] as const).reduce((m, l) => (p[l] > p[m] ? l : m))
    expect(a.text).toBe(` ${best}`)
  })
})

describe('B5 report', () => {
  const figures = (scoring: 'logprob' | 'generate', sequences: number, threads: number, qps: number, latency: number) => ({
    name: `${scoring} ${sequences} seq`,
    sequences,
    reusePrefix: true,
    scoring,
    maxTokens: scoring === 'generate' ? 16 : 1,
    threads,
    questions: 96,
    wallMs: (96 / qps) * 1000,
    questionsPerSecond: qps,
    promptTokens: 96 * 900,
    evaluatedTokens: 96 * (scoring === 'generate' ? 186 : 171),
    evaluatedTokensPerSecond: 0,
    completionTokens: scoring === 'generate' ? 96 * 16 : 0,
    contextSize: 1400,
    meanLatencyMs: latency,
  })
  const row = (scoring: 'logprob' | 'generate', threads: number, one: number, four: number): ConcurrencyRow => ({
    scoring,
    threads,
    one: figures(scoring, 1, threads, one, 1000 / one),
    four: figures(scoring, 4, threads, four, 2000 / one),
    gain: four / one,
    latencyInflation: 2,
  })

  test('judges the goal on generate at the default threads, and says why log-prob is not judged', () => {
    const report: ConcurrencyReport = { subject: 'high_school_statistics', questions: 96, model: 'random-small', maxTokens: 16, goalGain: 1.5, rows: [row('logprob', 2, 19.2, 17.94), row('generate', 2, 4.5, 7.06), row('generate', 1, 12.35, 10.87)] }
    const text = renderConcurrency(report)
    expect(text).toContain('generate        2              186               16      4.50      7.06   1.57×')
    expect(text).toContain('(generate, 2 threads): 1.57× met')
    expect(text).toContain('log-prob: 0.93×: a log-prob question is one decode of its ~171 new tokens')
    const missed = renderConcurrency({ ...report, rows: [row('generate', 2, 4.5, 5.6)] })
    expect(missed).toContain('(generate, 2 threads): 1.24× MISSED')
    expect(missed).not.toContain('log-prob:')
  })
})

describe('B7 scale topics', () => {
  test('a generated topic reads as n four-option questions, keys cycling A-D: the always-D engine is due floor(n/4)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'scale-topic-'))
    for (const n of [1, 7, 4001]) {
      const name = await writeScaleTopic(n, dir)
      const topic = await loadTopic({ name, test: path.join(dir, name, 'test.csv') }, process.cwd())
      expect(topic.test.length).toBe(n)
      expect(topic.test.every((q) => q.choices.length === 4)).toBe(true)
      // Counted here from the keys as read: every fourth one is D.
      let d = 0
      for (let i = 0; i < n; i++) if (i % 4 === 3) d++
      expect(topic.test.filter((q) => q.answer === 'D').length).toBe(d)
      expect(d).toBe(Math.floor(n / 4))
    }
  })
})
