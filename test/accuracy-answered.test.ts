// Issue 25 item 6: errors and questions not asked are not the model's answers.
// Accuracy is over the questions answered (correct + wrong + invalid: an
// invalid answer is the model's, and stays wrong); what was left out is
// counted on the same line, in every output; the exit code stays 1.
// Expected figures are computed here by hand from the outcomes.
import { describe, expect, test } from 'vitest'
import { renderMarkdownSummary } from '../reporters/render/markdown.js'
import { renderSummaryPage } from '../reporters/render/html.js'
import { formatCheck } from '../reporters/render/gate.js'
import { renderExitReasons, renderSubjectLine, renderTotals } from '../reporters/render/terminal.js'
import { rotationSummary } from '../src/analysis/rotation.js'
import { trialSpread } from '../src/analysis/trials.js'
import { evaluateGate } from '../src/gate/index.js'
import { parseThresholds } from '../src/gate/thresholds.js'
import type { Outcome } from '../src/base/record.js'
import { summarizeRun, summarizeSubject } from '../src/run/summary.js'
import { fakeRun, record } from './helpers/gate-runs.js'

/** Wilson's 95% interval, written out: the reference for the denominator used. */
function wilson95(k: number, n: number): { low: number; high: number } {
  const z = 1.959963984540054
  const p = k / n
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n)
  const half = ((z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n)))
  return { low: centre - half, high: centre + half }
}

// 3 correct, 2 wrong, 1 invalid (6 answered); 3 errors; 1 not asked: 10 planned.
const outcomes: Outcome[] = ['correct', 'error', 'correct', 'wrong', 'invalid', 'error', 'correct', 'wrong', 'error', 'not-asked']
const records = outcomes.map((o, i) => record('astronomy', i, o))

describe('accuracy is over the questions answered', () => {
  const s = summarizeSubject('astronomy', records, 10, { planned: 10 })

  test('a subject: 3 of 6 answered, the invalid one wrong, the 3 errors and the one not asked outside', () => {
    expect(s).toMatchObject({ correct: 3, wrong: 2, invalid: 1, errors: 3, notAsked: 1, total: 6, status: 'partial' })
    expect(s.accuracy).toBe(3 / 6)
    const w = wilson95(3, 6)
    expect(s.ci95.low).toBeCloseTo(w.low, 12)
    expect(s.ci95.high).toBeCloseTo(w.high, 12)
    // Asked: answered + errors (9 of the 10); errors alone do not make a subject partial.
    expect(renderSubjectLine(s)).toMatch(/^✗ astronomy {2}3\/6 correct {2}50\.0% .*\(partial: 9 of 10 asked, 1 not asked, 1 invalid, 3 errors left out\)$/)
    const noNotAsked = summarizeSubject('astronomy', records.slice(0, 9), 10, { planned: 9 })
    expect([noNotAsked.status, noNotAsked.total, noNotAsked.accuracy]).toEqual(['complete', 6, 0.5])
  })

  test('the run: micro and categories over the answered; what was left out on the accuracy line; the exit code stays 1', () => {
    const run = summarizeRun([s], records, 1000)
    expect(run).toMatchObject({ questions: 6, correct: 3, errors: 3, notAsked: 1, microAccuracy: 0.5 })
    expect(run.categories).toEqual([expect.objectContaining({ category: 'stem', correct: 3, total: 6, accuracy: 0.5 })])
    const totals = renderTotals(run)
    expect(totals.split('\n')[0]).toMatch(/^Accuracy {3}50\.0% \[\d+\.\d, \d+\.\d\] micro \(3\/6, every question equal; 3 errors and 1 not asked left out\) · /)
    expect(renderExitReasons(run, 0, false)).toEqual(['3 errors (not wrong answers) occurred', '1 question was not asked'])
  })

  test('a run whose every question errored: no accuracy, and its exit reason is the errors, not "no question could be asked"', () => {
    const all = ['error', 'error'].map((o, i) => record('astronomy', i, o as Outcome))
    const run = summarizeRun([summarizeSubject('astronomy', all, 10, { planned: 2 })], all, 1000)
    expect([run.questions, Number.isNaN(run.microAccuracy)]).toEqual([0, true])
    expect(renderExitReasons(run, 1, false)).toEqual(['3 errors (not wrong answers) occurred'])
  })
})

describe('every output says what was left out, beside the accuracy', () => {
  const results = fakeRun({ astronomy: { outcomes } }, { status: 'failed' })

  test('Markdown', () => {
    const md = renderMarkdownSummary(results, undefined, { flipsShown: 0 })
    expect(md).toMatch(/\*\*Accuracy 50\.0% \[\d+\.\d, \d+\.\d\]\*\* micro \(3\/6; 3 errors and 1 not asked left out\) · /)
    expect(md).toContain('| astronomy | STEM | 3/6 | 50.0% |')
    expect(md).toMatch(/\| \*\*all\*\* \| {2}\| 3\/6 \| 50\.0% \|/)
  })

  test('the page', async () => {
    const page = await renderSummaryPage(results)
    expect(page).toMatch(/<b>50\.0%<\/b> \[\d+\.\d, \d+\.\d\] · 3\/6 · 3 errors and 1 not asked left out/)
  })

  test('the results JSON: accuracy and its counts over the answered, the errors and not asked beside them', () => {
    const json = JSON.parse(JSON.stringify(results)) as typeof results
    expect(json.summary).toMatchObject({ questions: 6, correct: 3, errors: 3, notAsked: 1, microAccuracy: 0.5 })
    expect(json.subjects[0]).toMatchObject({ total: 6, errors: 3, notAsked: 1, accuracy: 0.5 })
  })

  test('gates: a threshold is checked on the answered, and its line says what was left out', () => {
    const verdict = evaluateGate({ alpha: 0.05, thresholds: parseThresholds('{ "overall": 0.6, "subjects": { "astronomy": 0.4 } }', 't.json') }, results)
    const checks = verdict.thresholds!.checks
    const overall = checks.find((c) => c.scope === 'overall')!
    expect(overall).toMatchObject({ accuracy: 0.5, correct: 3, total: 6, breached: true })
    expect(formatCheck(overall)).toMatch(/^✗ overall {2}50\.0% \[\d+\.\d, \d+\.\d\] \(3\/6; 3 errors and 1 not asked left out\) is below its threshold 60\.0%$/)
    const subject = checks.find((c) => c.scope === 'subject')!
    expect(formatCheck(subject)).toMatch(/^✓ astronomy {2}50\.0% \[\d+\.\d, \d+\.\d\] \(3\/6; 3 errors and 1 not asked left out\) meets its threshold 40\.0%$/)
  })
})

describe('trials and rotations: each accuracy over the answers too', () => {
  test('an error in trial 2 is outside trial 2\'s accuracy and its vote', () => {
    const t1 = (['correct', 'correct', 'wrong', 'wrong'] as Outcome[]).map((o, i) => ({ ...record('astronomy', i, o), trial: 1 }))
    const t2 = (['correct', 'error', 'wrong', 'wrong'] as Outcome[]).map((o, i) => ({ ...record('astronomy', i, o), trial: 2 }))
    const s = trialSpread([...t1, ...t2])!
    expect(s.accuracies).toEqual([2 / 4, 1 / 3])
    // Question 1: one answer, right: its majority is right, and its one answer agrees with itself.
    expect(s.majority).toBe(2 / 4)
  })

  test('a rotation that errored leaves the question incomplete, not failed', () => {
    const rs = (['correct', 'correct', 'error', 'correct'] as Outcome[]).map((o, r) => ({ ...record('astronomy', 0, o), rotation: r }))
    const s = rotationSummary(rs)!
    expect(s.accuracies.map((x) => (Number.isNaN(x) ? null : x))).toEqual([1, 1, null, 1])
    expect([s.questions, s.incomplete]).toEqual([0, 1])
  })
})
