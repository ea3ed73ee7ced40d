// Named protocols (issue 15 item 6) and the options of trials, sampling,
// rotation and samples: what a preset sets, what an explicit option
// overrides, and the clear errors for bad values.
import { describe, expect, test } from 'vitest'
import { OptionsError, readOptions } from '../src/config/options.js'
import { PROTOCOLS } from '../src/prompt/protocols.js'
import { renderHeader, renderTotals } from '../reporters/render/terminal.js'
import { renderMarkdownSummary } from '../reporters/render/markdown.js'
import { fakeRun } from './helpers/gate-runs.js'

describe('MMLU_PROTOCOL', () => {
  test('lm-eval: 5-shot, raw prompt, log-prob scoring, greedy; nothing overridden', () => {
    const o = readOptions({ MMLU_PROTOCOL: 'lm-eval' })
    expect(o).toMatchObject({ shots: 5, promptFormat: 'raw', scoring: 'logprob', temperature: 0, protocol: { name: 'lm-eval', overrides: [] } })
  })

  test('generative: 5-shot, chat turns, generate up to 10 tokens, greedy', () => {
    const o = readOptions({ MMLU_PROTOCOL: 'generative' })
    expect(o).toMatchObject({ shots: 5, promptFormat: 'chat', scoring: 'generate', maxTokens: 10, temperature: 0, protocol: { name: 'generative', overrides: [] } })
    expect(PROTOCOLS.generative.headline).toBe('macro')
  })

  test('an explicit option wins over the preset and is named as an override; one set to the same value is not', () => {
    const o = readOptions({ MMLU_PROTOCOL: 'generative', MMLU_SHOTS: '0', MMLU_MAX_TOKENS: '10', MMLU_PROMPT_FORMAT: 'RAW' })
    expect(o).toMatchObject({ shots: 0, maxTokens: 10, promptFormat: 'raw', scoring: 'generate' })
    expect(o.protocol!.overrides).toEqual(['MMLU_SHOTS=0 (generative sets 5)', 'MMLU_PROMPT_FORMAT=RAW (generative sets chat)'])
  })

  test('without a protocol the defaults are as they always were, and nothing is recorded', () => {
    const o = readOptions({})
    expect(o).toMatchObject({ shots: 5, promptFormat: 'raw', scoring: undefined, maxTokens: 5, temperature: 0, trials: 1, rotate: false, sample: undefined, protocol: undefined })
  })

  test('the header and the Markdown summary name the protocol and its overrides; a macro protocol shows macro first', () => {
    const run = fakeRun({ astronomy: { correct: 3, total: 4 } })
    const config = { ...run.config, protocol: { name: 'generative' as const, overrides: ['MMLU_SHOTS=0 (generative sets 5)'] } }
    expect(renderHeader(config, [])).toContain('protocol generative (overridden: MMLU_SHOTS=0 (generative sets 5))')
    expect(renderTotals(run.summary, config)).toMatch(/^Accuracy {3}75\.0% \[[\d.]+, [\d.]+\] macro .* · 75\.0% \[[\d.]+, [\d.]+\] micro/)
    expect(renderTotals(run.summary, { ...config, protocol: { name: 'lm-eval', overrides: [] } })).toMatch(/^Accuracy {3}75\.0% \[[\d.]+, [\d.]+\] micro/)
    const md = renderMarkdownSummary({ ...run, config }, undefined, { flipsShown: 10 })
    expect(md).toContain('protocol generative (overridden: MMLU_SHOTS=0 (generative sets 5))')
    expect(md).toMatch(/\*\*Accuracy 75\.0% \[[\d.]+, [\d.]+\]\*\* macro/)
    // A default run's header has no such line.
    expect(renderHeader(run.config, [])).not.toMatch(/protocol|trials|rotated|sample/)
  })
})

describe('trials, temperature, rotation and sample options', () => {
  test('parsed values', () => {
    expect(readOptions({ MMLU_TEMPERATURE: '0.7', MMLU_TRIALS: '5', MMLU_ROTATE: 'on', MMLU_SAMPLE: '20' })).toMatchObject({ temperature: 0.7, trials: 5, rotate: true, sample: { count: 20 } })
    expect(readOptions({ MMLU_SAMPLE: '0.1', MMLU_ROTATE: 'off' })).toMatchObject({ sample: { fraction: 0.1 }, rotate: false })
  })

  test.each([
    [{ MMLU_TEMPERATURE: '-1' }, /MMLU_TEMPERATURE="-1" is not valid: expected a number from 0 to 5/],
    [{ MMLU_TRIALS: '0' }, /MMLU_TRIALS="0" is not valid: expected a whole number from 1 to 100/],
    [{ MMLU_ROTATE: 'sometimes' }, /MMLU_ROTATE="sometimes" is not valid: expected on or off/],
    [{ MMLU_SAMPLE: '1.5' }, /MMLU_SAMPLE="1.5" is not valid: expected a number of questions per subject \(e\.g\. 20\) or a fraction/],
    [{ MMLU_SAMPLE: '20', MMLU_LIMIT: '10' }, /MMLU_LIMIT=10 and MMLU_SAMPLE=20 are both set: choose one/],
    [{ MMLU_PROTOCOL: 'helm' }, /MMLU_PROTOCOL="helm" is not valid: expected one of lm-eval, generative/],
  ])('%o is one clear error', (env, message) => {
    expect(() => readOptions(env)).toThrow(OptionsError)
    expect(() => readOptions(env)).toThrow(message)
  })
})
