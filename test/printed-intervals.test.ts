// The micro and macro intervals as printed (issue 26 item 1): the terminal,
// the Markdown summary and the summary page, for a fixed-answer run whose
// per-subject counts are known, each interval computed here from its formula,
// not by src/base/stats.ts. Always-C on astronomy (46/152) and business_ethics
// (23/100): the two averages differ, so a page that shows one interval for the
// other fails.
import { describe, expect, test } from 'vitest'
import { renderSummaryPage } from '../reporters/render/html.js'
import { renderMarkdownSummary } from '../reporters/render/markdown.js'
import { renderTotals } from '../reporters/render/terminal.js'
import { HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { answerAll, fixedLetter, loadWithInputs, resultsOf } from './helpers/fixed-answers.js'

const Z = 1.959963984540054 // the two-sided 95% normal quantile

/** Wilson's score interval, from its textbook form (Wilson 1927; Newcombe 1998, method 3). */
function wilson(k: number, n: number): [number, number] {
  const p = k / n
  const centre = (p + (Z * Z) / (2 * n)) / (1 + (Z * Z) / n)
  const half = ((Z / (1 + (Z * Z) / n)) * Math.sqrt((p * (1 - p)) / n + (Z * Z) / (4 * n * n)))
  return [centre - half, centre + half]
}

/** Macro: mean of subject accuracies ± z·√(Σ p̃(1 − p̃)/n) / m, p̃ = (k + z²/2)/(n + z²) (docs/reading-results.md). */
function macro(subjects: readonly [number, number][]): [number, number] {
  const m = subjects.length
  const centre = subjects.reduce((s, [k, n]) => s + k / n, 0) / m
  const variance = subjects.reduce((s, [k, n]) => {
    const p = (k + (Z * Z) / 2) / (n + Z * Z)
    return s + (p * (1 - p)) / n
  }, 0)
  const half = (Z * Math.sqrt(variance)) / m
  return [centre - half, centre + half]
}

const shown = ([low, high]: [number, number]) => `[${(low * 100).toFixed(1)}, ${(high * 100).toFixed(1)}]`

describe.skipIf(!HAS_REAL_DATA)('the printed intervals of a fixed-answer run (always-C, two subjects)', () => {
  test('terminal, Markdown summary and summary page show micro and macro, each with its own interval', async () => {
    const loaded = await Promise.all(['astronomy', 'business_ethics'].map((s) => loadWithInputs(REAL_DATA_DIR, s)))
    const records = loaded.flatMap((l) => answerAll(l.test, fixedLetter('C')))
    const results = resultsOf('always-C', loaded, records, REAL_DATA_DIR)
    // The known counts: always-C is right on the C keys.
    expect(results.subjects.map((s) => [s.subject, s.correct, s.total])).toEqual([
      ['astronomy', 46, 152],
      ['business_ethics', 23, 100],
    ])
    const micro = shown(wilson(69, 252))
    const macroCi = shown(macro([[46, 152], [23, 100]]))
    // Written out once, so a change in either formula shows here too.
    expect(micro).toBe('[22.2, 33.2]')
    expect(macroCi).toBe('[21.1, 32.2]') // by hand: 26.6% ± 5.6 points
    expect(macroCi).not.toBe(micro)

    expect(renderTotals(results.summary, results.config).split('\n')[0]).toBe(
      `Accuracy   27.4% ${micro} micro (69/252, every question equal) · 26.6% ${macroCi} macro (2 subjects, every subject equal)`,
    )
    expect(renderMarkdownSummary(results, undefined, { flipsShown: 5 })).toContain(`**Accuracy 27.4% ${micro}** micro (69/252) · 26.6% ${macroCi} macro · `)
    const page = await renderSummaryPage(results)
    expect(page).toContain(`<b>27.4%</b> ${micro} · 69/252`)
    expect(page).toContain(`26.6% ${macroCi} over 2 subjects`)
  })
})
