// Calibration and letter bias as the terminal, the Markdown summary and the
// summary page show them: the figures rendered are the analysis's, formatted.
import { beforeAll, describe, expect, test } from 'vitest'
import { analyzeRun } from '../src/analysis/run.js'
import type { ResultsFile } from '../src/results.js'
import { analysisSection, renderAnalysisLines, renderAnalysisMarkdown } from '../reporters/render/analysis.js'
import { renderSummaryPage } from '../reporters/render/html.js'
import { renderMarkdownSummary } from '../reporters/render/markdown.js'
import { chartRenderer } from '../reporters/render/page.js'
import type { Svg } from '../reporters/render/page.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { answerAll, loadWithInputs, resultsOf } from './helpers/fixed-answers.js'

// logits-diluted on the fixture astronomy split (keys C A B D C A B D): always B,
// p(B) = .3026 raw, .6439 over the letters; right on the 2 B keys.
const P = { A: 0.04095028, B: 0.30258393, C: 0.11131441, D: 0.01506477 }
let results: ResultsFile
let svg: Svg
beforeAll(async () => {
  const astronomy = await loadWithInputs(FIXTURE_DATA_DIR, 'astronomy')
  const records = answerAll(astronomy.test, P)
  results = { ...resultsOf('logits-diluted.gguf', [astronomy], records, FIXTURE_DATA_DIR), analysis: analyzeRun(records) }
  svg = await chartRenderer()
})

describe('terminal', () => {
  test('one calibration line; one letter line because the bias is strong', () => {
    const sum = P.A + P.B + P.C + P.D
    const ece = Math.abs(0.25 - P.B / sum)
    expect(ece).toBeCloseTo(0.3939, 4)
    expect(renderAnalysisLines(results.analysis!)).toEqual([
      `Calibration ECE 39.4% (normalised over the letters; raw 5.3%) · Brier ${results.analysis!.calibration!.normalised.brier.toFixed(3)} · mean confidence 64.4% vs accuracy 25.0% over 8 answers`,
      // 8 answers over (.25 × 4): P(all B) = 4⁻⁸; as likely or less: the four all-one-letter outcomes, 4 × 4⁻⁸.
      `Letters    gives B 100% of the time (B is the key 25%) · exact multinomial test p ${(4 * 4 ** -8).toExponential(2)}`,
    ])
  })

  test('no calibration line without probabilities, no letter line without a strong bias', () => {
    const records = results.records.map((r) => ({ ...r, probabilities: undefined, given: r.expected, outcome: 'correct' as const }))
    expect(renderAnalysisLines(analyzeRun(records))).toEqual([])
  })
})

describe('Markdown summary', () => {
  test('calibration and letter sections with the confusion matrix, invalid apart', () => {
    const md = renderMarkdownSummary(results, undefined, { flipsShown: 5 })
    expect(md).toContain('### Calibration')
    expect(md).toContain('| **all** | 8 | 39.4% | 5.3% |')
    expect(md).toContain('### Answer letters')
    expect(md).toContain('**Strong bias:** the model gives B 100% of the time (B is the key 25%).')
    expect(md).toContain('| key | 25.0% | 25.0% | 25.0% | 25.0% |')
    expect(md).toContain('| given | 0.0% | 100.0% | 0.0% | 0.0% |')
    expect(md).toContain('| key \\ given | A | B | C | D | invalid |')
    expect(md).toContain('| C | 0 | 2 | 0 | 0 | 0 |')
    // A results file from before the analysis was stored gets it computed from its records.
    expect(renderMarkdownSummary({ ...results, analysis: undefined }, undefined, { flipsShown: 5 })).toBe(md)
  })

  test('per subject, folded away', async () => {
    const subjects = await Promise.all(['astronomy', 'business_ethics'].map((s) => loadWithInputs(FIXTURE_DATA_DIR, s)))
    const records = subjects.flatMap((s) => answerAll(s.test, P))
    const md = renderAnalysisMarkdown(analyzeRun(records)).join('\n')
    expect(md).toContain('| **all** | 16 | 39.4% | 5.3% |')
    expect(md).toContain('<summary>Calibration per subject (2)</summary>')
    expect(md).toMatch(/^\| business_ethics \| 8 \| /m)
  })

  test('a generate run has letters but no calibration', () => {
    const records = results.records.map((r) => ({ ...r, probabilities: undefined }))
    const md = renderAnalysisMarkdown(analyzeRun(records)).join('\n')
    expect(md).not.toContain('Calibration')
    expect(md).toContain('### Answer letters')
  })
})

describe('small raw probabilities', () => {
  // Issue 22: a model whose raw next-token mass on the letters is tiny showed "mean confidence (raw) 0.0%".
  test('the raw mean confidence keeps two significant digits instead of reading 0.0%', async () => {
    const astronomy = await loadWithInputs(FIXTURE_DATA_DIR, 'astronomy')
    const tiny = { A: 2e-6, B: 3e-5, C: 1e-6, D: 1e-6 }
    const md = renderAnalysisMarkdown(analyzeRun(answerAll(astronomy.test, tiny))).join('\n')
    // Always B: every answer's raw confidence is p(B) = 3e-5, i.e. 0.0030%.
    const row = md.split('\n').find((l) => l.startsWith('| **all** |'))!
    expect(row.split(' | ')[6]).toBe('0.0030%')
    expect(row).not.toContain('| 0.0% |')
  })
})

describe('summary page', () => {
  test('a reliability diagram and a letter chart, with the figures in tables beside them', async () => {
    const html = analysisSection(results.analysis!, svg)
    const reliability = /<figure id="chart-reliability"[\s\S]*?<\/figure>/.exec(html)![0]
    expect(reliability).toContain('ECE 39.4% (raw 5.3%)')
    // The bins holding answers are labelled with their counts: all 8 in 60–70 (normalised) and 30–40 (raw).
    expect(reliability).toContain('>60–70<')
    expect((reliability.match(/>8</g) ?? []).length).toBe(2)
    const letters = /<figure id="chart-letters"[\s\S]*?<\/figure>/.exec(html)![0]
    expect(letters).toContain('>100%<')
    expect(html).toContain('<table id="confusion">')
    expect(html).toContain('<tr><td>all</td><td>8</td><td>39.4%</td><td>5.3%</td>')
    const page = await renderSummaryPage(results)
    expect(page).toContain('<section id="analysis">')
    expect(page).toContain('id="chart-reliability"')
  })
})
