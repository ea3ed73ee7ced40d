// Calibration and letter bias as the terminal, the Markdown summary and the
// summary page show them: the figures rendered are the analysis's, formatted.
import { beforeAll, describe, expect, test } from 'vitest'
import { analyzeRun } from '../src/analysis/run.js'
import type { ResultsFile } from '../src/run/results.js'
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
  test('one calibration line; no letter line: 6 wrong answers all B are not enough for p < 0.001', () => {
    const sum = P.A + P.B + P.C + P.D
    const ece = Math.abs(0.25 - P.B / sum)
    expect(ece).toBeCloseTo(0.3939, 4)
    const lines = renderAnalysisLines(results.analysis!)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^Calibration ECE 39\.4% \(normalised over the letters; raw 5\.3%\) · a calibrated model would show 1\d\.\d% \(95% ≤ \d\d\.\d%\) · Brier \d\.\d{3} · mean confidence 64\.4% vs accuracy 25\.0% over 8 answers$/)
    // A calibrated model with 8 answers at confidence p = .6439 is right k ~ Binomial(8, p) times: its ECE is |k/8 − p|,
    // mean Σ_k C(8, k) p^k (1 − p)^(8−k) |k/8 − p| = 13.5%; its 95th percentile is a gap of k = 8 (35.6%) or k = 3 (26.9%).
    const p = P.B / sum
    const choose = (n: number, k: number): number => (k === 0 ? 1 : (choose(n, k - 1) * (n - k + 1)) / k)
    let mean = 0
    for (let k = 0; k <= 8; k++) mean += choose(8, k) * p ** k * (1 - p) ** (8 - k) * Math.abs(k / 8 - p)
    expect(mean).toBeCloseTo(0.1352, 4)
    const floor = results.analysis!.calibration!.calibratedEce!
    expect(Math.abs(floor.mean - mean)).toBeLessThan(0.015) // 400 draws: s.e. ≈ 0.005
    expect(floor.p95).toBeGreaterThanOrEqual(Math.abs(3 / 8 - p) - 1e-9)
    expect(floor.p95).toBeLessThanOrEqual(Math.abs(8 / 8 - p) + 1e-9)
    expect(lines[0]).toContain(`a calibrated model would show ${(floor.mean * 100).toFixed(1)}% (95% ≤ ${(floor.p95 * 100).toFixed(1)}%)`)
    // The wrong answers (keys C A D C A D) redrawn over their 3 wrong letters: 3⁶ = 729 equally likely
    // outcomes; all-B is the only one with X² = 12, so p = 1/729 exactly: above 0.001.
    expect(results.analysis!.letterBias!.test).toMatchObject({ test: 'exact', statistic: expect.closeTo(12, 9), p: expect.closeTo(1 / 729, 12) })
  })

  test('a strong bias: one line naming the null in plain words, p at its floor, and the direct measure', async () => {
    // Always-B over 64 wrong answers (16 each of keys A, C, D, plus 16 right B keys): p below the Monte Carlo floor.
    const keys = [...'ABCD'.repeat(16)] as ('A' | 'B' | 'C' | 'D')[]
    const records = keys.map((k, i) => ({ ...results.records[0]!, index: i, expected: k, given: 'B' as const, outcome: k === 'B' ? ('correct' as const) : ('wrong' as const), probabilities: undefined }))
    expect(renderAnalysisLines(analyzeRun(records))).toEqual([
      'Letters    wrong answers: B 100% where 33% expected if the model had no preference · p < 1/10,000 (seeded Monte Carlo, 10,000 draws) · MMLU_ROTATE=on measures it directly',
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
    expect(md).toMatch(/^\| \*\*all\*\* \| 8 \| 39\.4% \| 1\d\.\d% \(95% ≤ \d\d\.\d%\) \| 5\.3% \|/m)
    expect(md).toContain('### Answer letters')
    expect(md).not.toContain('**Strong bias:**')
    expect(md).toContain("The test's null: a model with no letter preference spreads its wrong answers evenly over the wrong options (1/(k − 1) each)")
    expect(md).toContain(`Over the 6 wrong answers: Pearson's X² 12.0, p ${(1 / 729).toPrecision(3)} (exact, every outcome enumerated).`)
    expect(md).toContain('| wrong answers | 0.0% | 100.0% | 0.0% | 0.0% |')
    // Expected shares of the 6 wrong answers: A and C and D from 4 keys each (4/3), B from all 6 (2).
    expect(md).toContain('| expected if no preference | 22.2% | 33.3% | 22.2% | 22.2% |')
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
    expect(md).toMatch(/^\| \*\*all\*\* \| 16 \| 39\.4% \| .+ \| 5\.3% \|/m)
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
    const lines = md.split('\n')
    const row = lines.find((l) => l.startsWith('| **all** |'))!
    const column = lines.find((l) => l.startsWith('| scope |'))!.split(' | ').indexOf('mean confidence (raw)')
    expect(row.split(' | ')[column]).toBe('0.0030%')
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
    expect(html).toMatch(/<tr><td>all<\/td><td>8<\/td><td>39\.4%<\/td><td>1\d\.\d% \(95% ≤ \d\d\.\d%\)<\/td><td>5\.3%<\/td>/)
    const page = await renderSummaryPage(results)
    expect(page).toContain('<section id="analysis">')
    expect(page).toContain('id="chart-reliability"')
  })
})
