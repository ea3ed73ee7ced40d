import { describe, expect, test } from 'vitest'
import { DEFAULT_MODEL, readOptions } from '../src/options.js'

describe('options', () => {
  test('defaults', () => {
    const o = readOptions({})
    expect(o).toMatchObject({ model: DEFAULT_MODEL, shots: 5, concurrency: 1, scoring: undefined, gpu: 'auto', maxTokens: 5, timeoutMs: 120_000 })
    expect(o.dataDir).toBeUndefined()
  })

  test('env values are parsed', () => {
    const o = readOptions({ MMLU_SHOTS: '0', MMLU_SCORING: 'Generate', MMLU_CONCURRENCY: '8', MMLU_LIMIT: '20', MMLU_ALLOW_PARTIAL: '1' })
    expect(o).toMatchObject({ shots: 0, scoring: 'generate', concurrency: 8, limit: 20, allowPartialData: true })
  })

  test.each([
    [{ MMLU_SHOTS: '6' }, /MMLU_SHOTS="6" is not valid: expected a whole number from 0 to 5/],
    [{ MMLU_CONCURRENCY: '0' }, /MMLU_CONCURRENCY/],
    [{ MMLU_SCORING: 'vibes' }, /MMLU_SCORING="vibes" is not valid: expected one of logprob, generate/],
    [{ MMLU_LIMIT: '2.5' }, /MMLU_LIMIT/],
    [{ MMLU_ALLOW_PARTIAL: 'maybe' }, /MMLU_ALLOW_PARTIAL/],
  ])('bad value %j is a clear error', (env, message) => {
    expect(() => readOptions(env)).toThrow(message)
  })
})
