// Trials and rotations in every output that fits (issue 15 item 3, issue 14
// item 3): the terminal tables and lines, the Markdown summary, the summary
// page's tables, question chips and charts (drawn in headless Chromium).
// The figures are the summaries' (tested by hand in variants.test.ts); here:
// that each output shows them, and that a default run shows none of it.
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import type { Letter } from '../src/dataset/question.js'
import type { QuestionRecord, ResultsFile } from '../src/run/results.js'
import { summarizeRun, summarizeSubject } from '../src/run/summary.js'
import { rotateQuestion } from '../src/prompt/variants.js'
import { renderSummaryPage } from '../reporters/render/html.js'
import { renderMarkdownSummary } from '../reporters/render/markdown.js'
import { renderHeader, renderTotals } from '../reporters/render/terminal.js'
import { renderVariantTables } from '../reporters/render/variants.js'
import { HAS_CHROMIUM, launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js'
import { fakeRun } from './helpers/gate-runs.js'

const KEYS: Letter[] = ['A', 'B', 'C', 'D', 'C', 'A']

/** Two subjects of six questions, three trials, four rotations; the trials differ. */
function variantRun(): ResultsFile {
  const records: QuestionRecord[] = []
  for (const subject of ['astronomy', 'anatomy']) {
    KEYS.forEach((key, index) => {
      for (const trial of [1, 2, 3]) {
        for (const rotation of [0, 1, 2, 3]) {
          const expected = rotateQuestion({ subject, split: 'test', index, question: '?', choices: ['a', 'b', 'c', 'd'], answer: key }, rotation).answer
          // Knows more answers in later trials (and in anatomy), else says C (D in trial 2 of odd questions).
          const given: Letter = index < trial + (subject === 'anatomy' ? 2 : 0) ? expected : trial === 2 && index % 2 === 1 ? 'D' : 'C'
          records.push({ subject, index, expected, given, outcome: given === expected ? 'correct' : 'wrong', text: ` ${given}`, shots: 5, promptTokens: 100, evaluatedTokens: 10, completionTokens: 0, startedAt: 1000 + records.length, latencyMs: 1, trial, rotation })
        }
      }
    })
  }
  const base = fakeRun({ astronomy: { correct: 0, total: 1 }, anatomy: { correct: 0, total: 1 } })
  const subjects = ['astronomy', 'anatomy'].map((s) => summarizeSubject(s, records.filter((r) => r.subject === s), 10, { planned: 72 }))
  return {
    ...base,
    config: { ...base.config, asks: { temperature: 0.7, trials: 3, rotate: true, seed: 42 } },
    records,
    subjects,
    summary: summarizeRun(subjects, records, 1000),
  }
}

describe('trials and rotations in the outputs', () => {
  const results = variantRun()
  const run = results.summary

  test('terminal: the header says how questions were asked; per-subject tables; trials, rotation and interval lines', () => {
    expect(renderHeader(results.config, [])).toContain('3 trials per question, temperature 0.7 (seeds from MMLU_SEED 42) · options rotated')
    // At temperature 0 the seed plays no part: the header says the trials repeat one answer.
    const greedy = { ...results.config, asks: { temperature: 0, trials: 5, rotate: false, seed: 42 } }
    expect(renderHeader(greedy, [])).toContain('5 trials per question, greedy: trials give the same answers')
    const [trials, rotations] = renderVariantTables(results.subjects, run)
    expect(trials!.split('\n')).toHaveLength(4) // header, two subjects, all
    expect(trials).toMatch(/^astronomy .*$/m)
    expect(rotations!.split('\n')[0]).toMatch(/^subject \(rotations\)\s+as written\s+\+1\s+\+2\s+\+3\s+circular\s+consistent$/)
    const totals = renderTotals(run, results.config)
    // Trial t knows k = 2t + 2 of the 12 questions (t in astronomy, t + 2 in anatomy), right in all 4 rotations;
    // each other question gets one fixed letter, right in exactly 1 of its 4 rotations: (4k + 12 − k) / 48
    // = 50%, 62.5%, 75%; mean 62.5%.
    expect(totals).toContain('Trials     3 trials at temperature 0.7 · mean 62.5%')
    // As written (rotation 0, keys A B C D C A): known 4 + 6 + 8; by luck (C, or D on odd questions in trial 2)
    // 3 + 4 + 1 (trial 1: astronomy #2 #4, anatomy #4; trial 2: astronomy #2 #3 #4, anatomy #4; trial 3: astronomy #4): 26 of 36.
    expect(totals).toContain(`Rotation   per rotation as written ${((26 / 36) * 100).toFixed(1)}%`)
    expect(totals).toContain('Intervals  each question counts once: 144 answers to 12 questions, intervals clustered by question')
  })

  test('Markdown: a Trials and a Rotated options section with a row per subject and one for all', () => {
    const md = renderMarkdownSummary(results, undefined, { flipsShown: 5 })
    expect(md).toContain('12 questions (144 asks) in 2 subjects')
    expect(md).toContain('### Trials')
    expect(md).toContain('### Rotated options')
    expect(md).toMatch(/\| astronomy \| [\d.]+% \| [\d.]+% \| [\d.]+% \| [\d.]+ \| [\d.]+% \|/)
    expect(md).toContain('| subject | as written | +1 (A→B) | +2 (A→C) | +3 (A→D) | circular | consistent |')
  })

  test('a default run shows none of it', () => {
    const plain = fakeRun({ astronomy: { correct: 2, total: 4 } })
    expect(renderVariantTables(plain.subjects, plain.summary)).toEqual([])
    expect(renderTotals(plain.summary, plain.config)).not.toMatch(/Trials|Rotation|Intervals/)
    expect(renderMarkdownSummary(plain, undefined, { flipsShown: 5 })).not.toMatch(/### Trials|### Rotated|asks\)/)
  })

  test('the page: trial and rotation tables, a chip per ask, and the two charts, drawn in Chromium', async () => {
    const html = await renderSummaryPage(results)
    expect(html).toContain('<table id="trials">')
    expect(html).toContain('<table id="rotations">')
    expect(html).toContain('href="#q-astronomy-5-t2-r1" title="#5, trial 2, options +1 (A→B) expected B, given D">5/t2/r1</a>')
    // Each ask has its own row in the question table, the chip's target.
    expect(html).toContain('<tr id="q-astronomy-5-t2-r1"><td>5/t2/r1</td>')
    expect(new Set(html.match(/<tr id="q-[^"]+"/g)).size).toBe(144)
    expect(html.match(/class="q (correct|wrong)"/g)).toHaveLength(144)
    for (const id of ['chart-trials', 'chart-rotations']) expect(html).toContain(`id="${id}"`)
    const plain = await renderSummaryPage(fakeRun({ astronomy: { correct: 2, total: 4 } }))
    expect(plain).not.toMatch(/chart-trials|chart-rotations|id="trials"|\/t1/)
    if (!HAS_CHROMIUM) return
    const browser = await launchBrowser()
    try {
      const page = await browser.context.newPage()
      await page.setContent(html)
      for (const id of ['chart-trials', 'chart-rotations']) {
        const box = await page.locator(`#${id} svg`).boundingBox()
        expect(box!.width, id).toBeGreaterThan(300)
        expect(box!.height, id).toBeGreaterThan(100)
      }
      // Three trial dots per subject (some coincide) and a mean marker each; six bars for the rotations.
      expect(await page.locator('#chart-trials svg path').count()).toBeGreaterThan(2 * 4)
      expect(await page.locator('#chart-rotations svg text', { hasText: 'circular' }).count()).toBe(1)
      await mkdir(SCREENSHOT_DIR, { recursive: true })
      await page.locator('#chart-trials').screenshot({ path: path.join(SCREENSHOT_DIR, 'browser-trials-chart.png') })
      await page.locator('#chart-rotations').screenshot({ path: path.join(SCREENSHOT_DIR, 'browser-rotations-chart.png') })
    } finally {
      await browser.close()
    }
  }, 60_000)
})
