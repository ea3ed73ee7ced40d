// Issue 12, "Answers": an answer without a letter is invalid, with its reason,
// never a letter; end to end through the embedded engine on a broken model.
import { describe, expect, test } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { runVitest } from './helpers/run-vitest.js'

describe('no letter is not "A"', () => {
  test('a model whose letter probabilities are NaN gives 8 invalid answers, none correct, the reason in every record', async () => {
    const model = await fixtureModelPath('logits-nan')
    // business_ethics fixture keys: A B C D A B C D. An argmax that starts from
    // A (the old bug) would have counted the two A questions as correct.
    const run = await runVitest(['evals/business_ethics'], { env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_MODEL: model, MMLU_ALLOW_PARTIAL: '1' } })
    expect(run.results!.summary).toMatchObject({ questions: 8, correct: 0, wrong: 0, invalid: 8, errors: 0 })
    for (const r of run.results!.records) {
      expect(r).toMatchObject({ given: null, outcome: 'invalid' })
      expect(r.invalidReason).toMatch(/not a probability: A NaN, B NaN, C NaN, D NaN/)
    }
    expect(run.output).toContain('0 correct · 0 wrong · 8 invalid (no letter)')
  })
})
