// Acceptance, in headless Chromium, every page opened from file:// (no server):
// the summary page's reliability diagram and letter chart, and its
// per-question table; the compare page's three charts and its flipped
// questions; the runs index's "tick two runs" command. Screenshots go to
// reports/. The pages are written as the reporter and `npm run compare` write
// them, from runs answered in-process (test/helpers/fixed-answers.ts).
import { mkdir, mkdtemp, readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { analyzeRun } from '../src/analysis/run.js'
import type { Letter, Question } from '../src/dataset/question.js'
import type { LetterProbabilities, ResultsFile } from '../src/run/results.js'
import { writeResults } from '../src/run/results.js'
import { writeRunPages } from '../reporters/run-pages.js'
import { main as compareMain } from '../scripts/compare.js'
import type { TestBrowser } from './helpers/browser.js'
import { HAS_CHROMIUM, launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js'
import { FIXTURE_DATA_DIR, HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { answerAll, loadWithInputs, resultsOf } from './helpers/fixed-answers.js'

const DATA = HAS_REAL_DATA ? REAL_DATA_DIR : FIXTURE_DATA_DIR
const LETTERS: Letter[] = ['A', 'B', 'C', 'D']

/**
 * A roughly calibrated model: question i's chosen letter has probability
 * c = .3 + .07 (i mod 10), and is the key for a share c of the questions, so
 * the reliability diagram has bars in seven bins, close to the diagonal.
 */
function calibratedish(q: Question): LetterProbabilities {
  const c = 0.3 + 0.07 * (q.index % 10)
  const right = ((q.index * 7) % 10) / 10 < c
  const chosen = right ? q.answer : (LETTERS[(LETTERS.indexOf(q.answer) + 1 + (q.index % 3)) % 4] as Letter)
  const p = Object.fromEntries(LETTERS.map((l) => [l, l === chosen ? c : (1 - c) / 3])) as LetterProbabilities
  return p
}

/**
 * The first run's figures from calibratedish's own rule, not from src/analysis:
 * question i is answered with confidence c (the letters sum to 1, so normalised
 * is raw), in bin ⌊10c⌋, by i mod 10: 3 3 4 5 5 6 7 7 8 9.
 */
function expectedFigures(questions: readonly Question[]): { binCounts: number[]; ece: number; confusion: Record<Letter, Record<Letter, number>> } {
  const BIN = [3, 3, 4, 5, 5, 6, 7, 7, 8, 9]
  const bins = Array.from({ length: 10 }, () => ({ n: 0, right: 0, confidence: 0 }))
  const confusion = Object.fromEntries(LETTERS.map((k) => [k, Object.fromEntries(LETTERS.map((l) => [l, 0]))])) as Record<Letter, Record<Letter, number>>
  for (const q of questions) {
    const c = 0.3 + 0.07 * (q.index % 10)
    const right = ((q.index * 7) % 10) / 10 < c
    const b = bins[BIN[q.index % 10]!]!
    b.n++
    b.confidence += c
    if (right) b.right++
    confusion[q.answer][right ? q.answer : (LETTERS[(LETTERS.indexOf(q.answer) + 1 + (q.index % 3)) % 4] as Letter)]++
  }
  const ece = bins.reduce((sum, b) => sum + (b.n ? (b.n / questions.length) * Math.abs(b.right / b.n - b.confidence / b.n) : 0), 0)
  return { binCounts: bins.map((b) => b.n), ece, confusion }
}

/** Prefers C: C whenever the model is unsure, else the key. */
function prefersC(q: Question): LetterProbabilities {
  const sure = q.index % 3 === 0
  const chosen = sure ? q.answer : 'C'
  return Object.fromEntries(LETTERS.map((l) => [l, l === chosen ? 0.55 : 0.15])) as LetterProbabilities
}

describe.skipIf(!HAS_CHROMIUM)('analysis pages in Chromium, from file://', () => {
  let browser: TestBrowser
  let dir: string
  let runs: string[]
  let first: ResultsFile
  let questions: Question[]
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-analysis-pages-'))
    const subjects = await Promise.all(['astronomy', 'business_ethics'].map((s) => loadWithInputs(DATA, s)))
    questions = subjects.flatMap((s) => s.test)
    const resultsFile = path.join(dir, 'mmlu-results.json')
    for (const [model, answer, createdAt] of [
      ['calibrated-ish.gguf', calibratedish, '2026-01-01T10:00:00.000Z'],
      ['prefers-C.gguf', prefersC, '2026-01-01T11:00:00.000Z'],
    ] as const) {
      const records = subjects.flatMap((s) => answerAll(s.test, answer))
      const results = { ...resultsOf(model, subjects, records, DATA, { createdAt }), analysis: analyzeRun(records) }
      first ??= results
      const titles = new Map(subjects.flatMap((s) => s.test.map((q) => [`${s.subject}#${q.index}`, q.question.slice(0, 60)] as const)))
      await writeResults(resultsFile, results)
      await writeRunPages(resultsFile, results, { titles, keepRuns: undefined, keep: true })
    }
    runs = (await readdir(path.join(dir, 'runs'))).filter((n) => n !== 'index.html').sort()
    const code = await compareMain([path.join(dir, 'runs', runs[0]!), path.join(dir, 'runs', runs[1]!), '--out', dir], () => {}, () => {})
    expect(code).toBe(0)
    browser = await launchBrowser()
    await mkdir(SCREENSHOT_DIR, { recursive: true })
  })
  afterAll(async () => {
    await browser?.close()
  })

  const open = async (file: string) => {
    const page = await browser.context.newPage()
    await page.goto(pathToFileURL(file).href)
    return page
  }
  /** An echarts SVG that draws something: its box and its shapes. */
  async function expectChart(page: Awaited<ReturnType<typeof open>>, id: string, minPaths = 4) {
    const svg = page.locator(`#${id} svg`)
    expect(await svg.count(), id).toBe(1)
    const box = await svg.boundingBox()
    expect(box && box.width > 200 && box.height > 150, `${id} ${JSON.stringify(box)}`).toBe(true)
    expect(await page.locator(`#${id} svg path`).count(), id).toBeGreaterThan(minPaths)
  }

  test('the run page of an earlier run: reliability diagram, letter chart, every question in a table', async () => {
    // The kept copy of the first run, as a reader opens it from the runs index.
    const page = await open(path.join(dir, 'runs', runs[0]!, 'index.html'))
    await expectChart(page, 'chart-reliability')
    await expectChart(page, 'chart-letters')
    const expected = expectedFigures(questions)
    // Each non-empty bin's count is printed on its bar; the table beside it has the answers and the ECE.
    const reliability = await page.locator('#chart-reliability svg').innerHTML()
    for (const count of expected.binCounts.filter((n) => n > 0)) expect(reliability).toContain(`>${count}<`)
    const all = await page.locator('#calibration tbody tr').first().locator('td').allInnerTexts()
    expect(all.slice(0, 3)).toEqual(['all', String(questions.length), `${(expected.ece * 100).toFixed(1)}%`])
    const confusion = await page.locator('#confusion tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)))
    expect(confusion.slice(0, 4)).toEqual(LETTERS.map((key) => [key, ...LETTERS.map((l) => String(expected.confusion[key][l])), '0']))
    // Every question, without the Vitest report: open a subject, follow a chip to its row.
    await page.locator('details[data-subject="astronomy"] summary').click()
    expect(await page.locator('details[data-subject="astronomy"] table.questions tbody tr').count()).toBe(first.records.filter((r) => r.subject === 'astronomy').length)
    await page.locator('details[data-subject="astronomy"] a.q', { hasText: /^3$/ }).click()
    expect(page.url()).toMatch(/#q-astronomy-3$/)
    const row = await page.locator('#q-astronomy-3 td').allInnerTexts()
    const r3 = first.records.find((r) => r.subject === 'astronomy' && r.index === 3)!
    expect(row.slice(0, 5)).toEqual(['3', expect.any(String), r3.expected, r3.given, r3.outcome])
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'browser-analysis-summary.png'), fullPage: true })
    await page.locator('#analysis').screenshot({ path: path.join(SCREENSHOT_DIR, 'browser-analysis-charts.png') })
    await page.close()
  })

  test('the compare page: difference, reliability and letter charts; flipped questions with their text', async () => {
    const page = await open(path.join(dir, 'compare.html'))
    await expectChart(page, 'chart-compare', 2)
    await expectChart(page, 'chart-compare-reliability')
    await expectChart(page, 'chart-compare-letters')
    const chart = await page.locator('#chart-compare svg').innerHTML()
    expect(chart).toContain('>astronomy<')
    expect(chart).toContain('>business_ethics<')
    await page.locator('section.pair details[data-subject="astronomy"] summary').click()
    const flip = page.locator('section.pair details[data-subject="astronomy"] table.flips tbody tr').first()
    const cells = await flip.locator('td').allInnerTexts()
    expect(cells[1]!.length).toBeGreaterThan(10) // the question's text, read back from the data folder
    expect(cells[1]).not.toContain('text not available')
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'browser-compare.png'), fullPage: true })
    await page.close()
  })

  test('the runs index: ticking two runs shows the command that compares them', async () => {
    const page = await open(path.join(dir, 'runs', 'index.html'))
    expect(await page.locator('#runs tbody tr').count()).toBe(2)
    const command = page.locator('#pick-command')
    expect(await command.innerText()).toMatch(/^npm run compare -- .*\/<older run> .*\/<newer run>$/)
    for (const id of runs) await page.locator(`tr[id="${id}"] input[name=pick]`).check()
    const text = await command.innerText()
    expect(text).toMatch(new RegExp(`^npm run compare -- \\S*/${runs[0]} \\S*/${runs[1]}$`))
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'browser-runs-index.png'), fullPage: true })
    await page.close()
  })
})
