import { describe, expect, test } from 'vitest'
import { DEFAULT_MODEL, readOptions } from '../src/config/options.js'

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
    // Issue 25 bug 4: Number() reads hex, padding, exponents and signs as numbers; a whole number is digits only.
    [{ MMLU_SHOTS: '0x2' }, /MMLU_SHOTS="0x2" is not valid: expected a whole number from 0 to 5/],
    [{ MMLU_SHOTS: ' 2' }, /MMLU_SHOTS=" 2" is not valid/],
    [{ MMLU_LIMIT: '1e2' }, /MMLU_LIMIT="1e2" is not valid/],
    [{ MMLU_LIMIT: '+5' }, /MMLU_LIMIT="\+5" is not valid/],
    [{ MMLU_KEEP_RUNS: '0x0' }, /MMLU_KEEP_RUNS="0x0" is not valid/],
    [{ MMLU_KEEP_RUNS: '2 ' }, /MMLU_KEEP_RUNS="2 " is not valid/],
    [{ MMLU_TRIALS: '0b11' }, /MMLU_TRIALS="0b11" is not valid/],
    [{ MMLU_TEMPERATURE: '0x1' }, /MMLU_TEMPERATURE="0x1" is not valid: expected a number from 0 to 5/],
    [{ MMLU_TEMPERATURE: 'Infinity' }, /MMLU_TEMPERATURE="Infinity" is not valid/],
    [{ MMLU_ALPHA: '0x0.1' }, /MMLU_ALPHA="0x0.1" is not valid/],
    [{ MMLU_SAMPLE: '0x14' }, /MMLU_SAMPLE="0x14" is not valid/],
  ])('bad value %j is a clear error', (env, message) => {
    expect(() => readOptions(env)).toThrow(message)
  })

  // Issue 23 item 5: MMLU_PULL and MMLU_ALLOW_PARTIAL took 1/true/yes but not on/off, while
  // MMLU_ROTATE and MMLU_ENV_FILES took on/off too: one vocabulary for every yes/no setting.
  const YES_NO = ['MMLU_PULL', 'MMLU_ALLOW_PARTIAL', 'MMLU_ROTATE', 'MMLU_ENV_FILES'] as const
  const FIELD = { MMLU_PULL: 'pull', MMLU_ALLOW_PARTIAL: 'allowPartialData', MMLU_ROTATE: 'rotate', MMLU_ENV_FILES: 'envFiles' } as const
  test.each(YES_NO)('%s reads the same yes/no words as every other switch', (name) => {
    for (const word of ['on', 'ON', '1', 'true', 'yes', ' on ']) expect(readOptions({ [name]: word })[FIELD[name]], word).toBe(true)
    for (const word of ['off', 'Off', '0', 'false', 'no', ' off ']) expect(readOptions({ [name]: word })[FIELD[name]], word).toBe(false)
    expect(() => readOptions({ [name]: 'maybe' })).toThrow(`${name}="maybe" is not valid: expected on or off (or 1/0, true/false, yes/no).`)
  })

  test('numbers as people write them still read', () => {
    expect(readOptions({ MMLU_SHOTS: '3', MMLU_TRIALS: '007', MMLU_TEMPERATURE: '.5', MMLU_ALPHA: '1e-2', MMLU_SAMPLE: '0.25', MMLU_KEEP_RUNS: '0' })).toMatchObject({
      shots: 3, trials: 7, temperature: 0.5, alpha: 0.01, sample: { fraction: 0.25 }, keepRuns: 0,
    })
    // Empty is unset, as for every variable (a `.env` line `MMLU_KEEP_RUNS=`): the default.
    expect(readOptions({ MMLU_KEEP_RUNS: '', MMLU_SHOTS: '' })).toMatchObject({ keepRuns: undefined, shots: 5 })
  })
})
