// The benchmark's hooks into the product: MMLU_ENGINE_MODULE opens a module's
// engine instead of the built-in ones, and the instant engine answers
// deterministically (B1 compares a Vitest run with a bare loop by its answers).
import { describe, expect, test } from 'vitest'
import { instantAnswer } from '../bench/instant-engine.js'
import { openEngine } from '../src/backends/index.js'
import { readOptions } from '../src/options.js'

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
    const p = a.probabilities!
    expect(p.A + p.B + p.C + p.D).toBeCloseTo(1, 12)
    const best = (['A', 'B', 'C', 'D'] as const).reduce((m, l) => (p[l] > p[m] ? l : m))
    expect(a.text).toBe(` ${best}`)
  })
})
