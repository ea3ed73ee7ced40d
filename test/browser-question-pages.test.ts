// Acceptance, in headless Chromium from file://: past PAGED_ABOVE asks the
// summary page's question table is drawn a page at a time from the JSON in the
// page (reporters/render/question-pages.ts): next/previous, the subject and
// outcome filters, no console error. The run is synthetic (test/helpers/
// synthetic-run.ts), written in-process as the reporter writes it.
import { mkdir, mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ResultsFile } from '../src/run/results.js'
import { writeResults } from '../src/run/results.js'
import { listRuns } from '../src/run/kept-runs.js'
import { writeRunPages } from '../reporters/run-pages.js'
import { PAGED_ABOVE, ROWS_PER_PAGE } from '../reporters/render/question-pages.js'
import type { TestBrowser } from './helpers/browser.js'
import { HAS_CHROMIUM, launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js'
import { SYNTHETIC_SUBJECTS, syntheticOutcome, syntheticRun } from './helpers/synthetic-run.js'

const N = PAGED_ABOVE + 2_345

describe.skipIf(!HAS_CHROMIUM)(`the question table past ${PAGED_ABOVE.toLocaleString('en-US')} asks, in Chromium from file://`, () => {
  let browser: TestBrowser
  let dir: string
  let run: ResultsFile
  let copy: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-question-pages-'))
    const resultsFile = path.join(dir, 'mmlu-results.json')
    run = syntheticRun(N)
    const titles = new Map(run.records.map((r) => [`${r.subject}#${r.index}`, `Question ${r.index} of ${r.subject}`]))
    await writeResults(resultsFile, run)
    await writeRunPages(resultsFile, run, { titles, keepRuns: undefined, keep: true })
    copy = path.join(dir, 'runs', (await listRuns(path.join(dir, 'runs')))[0]!.id, 'index.html')
    browser = await launchBrowser()
    await mkdir(SCREENSHOT_DIR, { recursive: true })
  })
  afterAll(async () => {
    await browser?.close()
  })

  async function open(file: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(pathToFileURL(file).href)
    return { page, errors }
  }
  const rows = (page: Page) => page.locator('#question-pages tbody tr')
  const range = (page: Page) => page.locator('#q-range').innerText()

  test('a page of rows at a time; next and previous; the last page is short and ends the table', async () => {
    const { page, errors } = await open(path.join(dir, 'index.html'))
    expect(await rows(page).count()).toBe(ROWS_PER_PAGE)
    expect(await range(page)).toBe(`1–${ROWS_PER_PAGE} of ${N}`)
    expect(await page.locator('#q-prev').isDisabled()).toBe(true)
    // The first row is astronomy #0: its number, subject, question, key, given, outcome.
    const first = rows(page).first()
    expect(await first.getAttribute('id')).toBe('q-astronomy-0')
    expect((await first.locator('td').allInnerTexts()).slice(0, 6)).toEqual(['0', 'astronomy', 'Question 0 of astronomy', 'A', '–', 'invalid'])
    await page.locator('#q-next').click()
    expect(await range(page)).toBe(`${ROWS_PER_PAGE + 1}–${2 * ROWS_PER_PAGE} of ${N}`)
    expect(await rows(page).first().getAttribute('id')).toBe(`q-astronomy-${ROWS_PER_PAGE}`)
    await page.locator('#q-prev').click()
    expect(await range(page)).toBe(`1–${ROWS_PER_PAGE} of ${N}`)
    // To the end of the invalid answers (two pages): the last page holds what is left and has no next.
    const invalid = run.records.filter((_, i) => syntheticOutcome(i) === 'invalid')
    expect(invalid.length).toBeGreaterThan(ROWS_PER_PAGE)
    expect(invalid.length).toBeLessThanOrEqual(2 * ROWS_PER_PAGE)
    await page.locator('#q-outcome').selectOption('invalid')
    await page.locator('#q-next').click()
    expect(await range(page)).toBe(`${ROWS_PER_PAGE + 1}–${invalid.length} of ${invalid.length}`)
    expect(await rows(page).count()).toBe(invalid.length - ROWS_PER_PAGE)
    expect(await page.locator('#q-next').isDisabled()).toBe(true)
    const last = invalid.at(-1)!
    expect(await rows(page).last().getAttribute('id')).toBe(`q-${last.subject}-${last.index}`)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'browser-question-pages.png') })
    expect(errors).toEqual([])
    await page.close()
  })

  test('the outcome and subject filters: counts as the records say, every row shown of its kind', async () => {
    const { page, errors } = await open(path.join(dir, 'index.html'))
    // Counted from the rule that made the records, not from the page.
    const wrong = run.records.filter((_, i) => syntheticOutcome(i) === 'wrong')
    await page.locator('#q-outcome').selectOption('wrong')
    expect(await range(page)).toBe(`1–${ROWS_PER_PAGE} of ${wrong.length}`)
    expect(new Set(await rows(page).locator('td:nth-child(6)').allInnerTexts())).toEqual(new Set(['wrong']))
    const subject = SYNTHETIC_SUBJECTS[2]
    const both = wrong.filter((r) => r.subject === subject)
    await page.locator('#q-subject').selectOption({ index: SYNTHETIC_SUBJECTS.indexOf(subject) + 1 })
    expect(await range(page)).toBe(`1–${Math.min(ROWS_PER_PAGE, both.length)} of ${both.length}`)
    expect(new Set(await rows(page).locator('td:nth-child(2)').allInnerTexts())).toEqual(new Set([subject]))
    expect(await rows(page).first().getAttribute('id')).toBe(`q-${subject}-${both[0]!.index}`)
    await page.locator('#q-outcome').selectOption('')
    await page.locator('#q-subject').selectOption('')
    expect(await range(page)).toBe(`1–${ROWS_PER_PAGE} of ${N}`)
    expect(errors).toEqual([])
    await page.close()
  })

  test("the run's copy in the history draws the same table", async () => {
    const { page, errors } = await open(copy)
    expect(await rows(page).count()).toBe(ROWS_PER_PAGE)
    expect(await range(page)).toBe(`1–${ROWS_PER_PAGE} of ${N}`)
    expect(errors).toEqual([])
    await page.close()
  })
})
