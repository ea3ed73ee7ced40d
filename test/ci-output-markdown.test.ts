// The Markdown job summary as a pure function of results and verdict.
import { describe, expect, test } from 'vitest'
import { evaluateGate } from '../src/gate/index.js'
import { parseThresholds } from '../src/gate/thresholds.js'
import { md as cell } from '../reporters/render/escape.js'
import { renderMarkdownSummary } from '../reporters/render/markdown.js'
import { fakeRun } from './helpers/gate-runs.js'

describe('Markdown summary', () => {
  const run = fakeRun({ astronomy: { correct: 5, total: 20 }, business_ethics: { outcomes: ['correct', 'error', 'wrong', 'invalid'] } }, { model: 'my|model.gguf', status: 'failed' })

  test('without a gate: the table and totals, no gate section; table cells cannot break the row', () => {
    const md = renderMarkdownSummary(run, undefined, { flipsShown: 10 })
    expect(md).toContain('## MMLU · my\\|model.gguf\n')
    expect(md).toContain('llama.cpp · logprob · 5-shot · 23 questions in 2 subjects · errors occurred')
    expect(md).toContain('| subject | category | correct | accuracy | 95% CI | errors | note |\n|---|---|---:|---:|---|---:|---|\n| astronomy | STEM | 5/20 | 25.0% | [11.2, 46.9] | 0 |  |')
    expect(md).toContain('| business_ethics | Other | 1/3 | 33.3% | [6.1, 79.2] | 1 | 1 invalid, 1 error left out |')
    expect(md).toContain('| **all** |  | 6/23 | 26.1% | [12.5, 46.5] | 1 |  |')
    // The notes and the macro interval are in the summary too (issue 12).
    expect(md).toContain('> **Note:** accuracy 26.1% [12.5, 46.5] includes chance (25%): this run cannot tell the model from guessing')
    expect(md).toMatch(/micro \(6\/23; 1 error left out\) · 29\.2% \[\d+\.\d, \d+\.\d\] macro/)
    expect(md).not.toContain('### Gate')
    expect(cell('a|b\nc\\d')).toBe('a\\|b c\\\\d')
  })

  test('a shard note, and a refused baseline with its reasons and the fix', () => {
    const other = fakeRun({ astronomy: { correct: 5, total: 20 } }, { shots: 0 })
    const verdict = evaluateGate({ alpha: 0.05, baseline: { file: 'base.json', results: other } }, run)
    const md = renderMarkdownSummary(run, verdict, { flipsShown: 10, note: 'Shard 1/2: the gate runs on the merged report.' })
    expect(md).toContain('> Shard 1/2: the gate runs on the merged report.')
    expect(md).toContain('Baseline `base.json`: **not compared**, the runs are not comparable question by question.\n\n- ❌ astronomy: different shots (baseline 0-shot, this run 5-shot)')
    expect(md).toContain('`MMLU_BASELINE=<file> npm run baseline:accept`')
    expect(md).toContain('**Gate failed:** the baseline comparison was refused (the runs asked different prompts or data).')
  })

  test('flips beyond MMLU_FLIPS_SHOWN are counted, not listed; thresholds not in the run are named', () => {
    const before = fakeRun({ astronomy: { correct: 20, total: 20 } })
    const thresholds = parseThresholds('{ "subjects": { "anatomy": 0.5 }, "macro": 0.2 }', 't.json')
    const verdict = evaluateGate({ alpha: 0.05, thresholds, baseline: { file: 'b.json', results: before } }, fakeRun({ astronomy: { correct: 5, total: 20 } }))
    const md = renderMarkdownSummary(fakeRun({ astronomy: { correct: 5, total: 20 } }), verdict, { flipsShown: 3 })
    expect(md).toContain('<summary>Flipped right→wrong (15)</summary>\n\n- astronomy #5 B→C\n- astronomy #6 C→D\n- astronomy #7 D→A\n- … 12 more (MMLU_FLIPS_SHOWN=3)\n')
    // The macro average's check carries its interval, as the others do (issue 12 item 11).
    expect(md).toMatch(/- ✅ macro average {2}25\.0% \[\d+\.\d, \d+\.\d\] meets its threshold 20\.0%/)
    expect(md).toContain('- not checked (not in this run): anatomy')
    expect(md).toContain('**Gate failed:** regression against the baseline (astronomy, overall).')
  })
})
