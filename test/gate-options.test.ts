// The gate's settings in src/config/options.ts.
import { describe, expect, test } from 'vitest'
import { readOptions } from '../src/config/options.js'

describe('gate options', () => {
  test('defaults: no gate files, α 0.05, no tolerance, 10 flips listed', () => {
    expect(readOptions({})).toMatchObject({ thresholdsFile: undefined, baselineFile: undefined, alpha: 0.05, tolerance: undefined, flipsShown: 10, stepSummaryFile: undefined })
  })

  test('values are parsed', () => {
    const o = readOptions({ MMLU_THRESHOLDS: 't.json', MMLU_BASELINE: ' b.json ', MMLU_ALPHA: '0.01', MMLU_TOLERANCE: '0.02', MMLU_FLIPS_SHOWN: '0', GITHUB_STEP_SUMMARY: '/tmp/s.md' })
    expect(o).toMatchObject({ thresholdsFile: 't.json', baselineFile: 'b.json', alpha: 0.01, tolerance: 0.02, flipsShown: 0, stepSummaryFile: '/tmp/s.md' })
    expect(readOptions({ MMLU_TOLERANCE: '0' }).tolerance).toBe(0)
  })

  test.each([
    [{ MMLU_ALPHA: '0' }, /MMLU_ALPHA="0" is not valid: expected a number between 0 and 1 \(e\.g\. 0\.05\)/],
    [{ MMLU_ALPHA: '1' }, /MMLU_ALPHA="1" is not valid/],
    [{ MMLU_ALPHA: '5%' }, /MMLU_ALPHA="5%" is not valid/],
    [{ MMLU_TOLERANCE: '2' }, /MMLU_TOLERANCE="2" is not valid: expected a number from 0 to 1 \(a fraction: 0\.02 means 2 percentage points\)/],
    [{ MMLU_TOLERANCE: '-0.1' }, /MMLU_TOLERANCE/],
    [{ MMLU_FLIPS_SHOWN: 'all' }, /MMLU_FLIPS_SHOWN="all" is not valid: expected a whole number from 0 to 100000/],
  ])('bad value %j is a clear error', (env, message) => {
    expect(() => readOptions(env)).toThrow(message)
  })
})
