// Acceptance, in headless Chromium:
// 1. after a fixed-answer run on one subject, the Vitest HTML report, served
//    locally, shows a wrongly answered question with its expected and given
//    letters and its probabilities (reached through the summary page's link);
// 3. reports/index.html renders its charts and its table agrees with the results JSON.
import { mkdir, mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import type { ResultsFile } from '../src/run/results.js'
import { ci, pct } from '../reporters/render/format.js'
import type { ReportServer } from '../scripts/serve-report.js'
import { serveReport } from '../scripts/serve-report.js'
import type { TestBrowser } from './helpers/browser.js'
import { HAS_CHROMIUM, launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js'
import { FIXTURE_DATA_DIR, HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { runVitest } from './helpers/run-vitest.js'

/** A run that writes results, the summary page and Vitest's HTML report into one fresh folder, as `reports/` would hold them. */
async function runWithReports(files: string[], env: Record<string, string>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-reports-'))
  const run = await runVitest(files, {
    env: { ...env, MMLU_RESULTS: path.join(dir, 'mmlu-results.json') },
    args: ['--reporter=./reporters/mmlu-reporter.ts', '--reporter=html', `--outputFile.html=${path.join(dir, 'html', 'index.html')}`],
  })
  return { dir, run }
}

describe.skipIf(!HAS_CHROMIUM)('reports in Chromium', () => {
  let browser: TestBrowser
  const servers: ReportServer[] = []
  beforeAll(async () => {
    browser = await launchBrowser()
    await mkdir(SCREENSHOT_DIR, { recursive: true })
  })
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()))
    await browser?.close()
  })

  test('1. the Vitest HTML report shows a wrong answer with expected, given and the probabilities', async () => {
    // The letter-logit model always answers B with p = (.087, .644, .237, .032);
    // fixture astronomy answers are C A B D C A B D, so #0 (expected C) is wrong.
    const model = await fixtureModelPath('logits-1-3-2-0')
    const { dir, run } = await runWithReports(['evals/astronomy'], { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', MMLU_MODEL: model })
    expect(run.code, run.output).toBe(0)
    expect(run.results!.records.find((r) => r.index === 0)).toMatchObject({ expected: 'C', given: 'B', outcome: 'wrong' })
    expect(run.output).toContain(`Summary    ${path.join(dir, 'index.html')}`)

    const server = await serveReport(dir, 0)
    servers.push(server)
    const page = await browser.context.newPage()
    // From the summary page, as a reader would: open the subject, click question #0.
    await page.goto(server.url)
    await page.locator('details[data-subject="astronomy"] summary').click()
    const link = page.locator('details[data-subject="astronomy"] a.q.wrong', { hasText: /^0$/ })
    expect(await link.getAttribute('title')).toBe('#0 expected C, given B')
    await link.click()
    await page.waitForURL(/\/html\/index\.html#\/\?file=[^&]+&test=/)

    // The Vitest report opens on that test: its name, the assertion, the annotations and the meta.
    await expect.poll(() => page.getByText('Test Annotations').count(), { timeout: 30_000 }).toBe(1)
    const body = await page.locator('body').innerText()
    expect(body).toMatch(/astronomy > #0 How many planets orbit the Sun/)
    expect(body).toMatch(/Expected:\s*"C"/)
    expect(body).toMatch(/Received:\s*"B"/)
    expect(body).toContain('given B, expected C · p(A,B,C,D) = 0.087, 0.644, 0.237, 0.032')
    // The question annotation: the question with its four options, no few-shot header.
    const question = page.locator('[role="note"]', { hasText: 'question' })
    await expect.poll(() => question.innerText()).toMatch(/How many planets orbit the Sun.*\(A\) .*\(B\) .*\(C\) .*\(D\) /s)
    expect(body).not.toContain('The following are multiple choice questions')
    expect(body).toMatch(/"probabilities": \{\s*"A": 0\.087/)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'browser-vitest-report-question.png') })
    await page.close()
  })

  test.skipIf(!HAS_REAL_DATA)('3. reports/index.html renders its four charts, and its tables agree with the results JSON', async () => {
    // Always-C on the real astronomy and business_ethics test splits: 46/152 and 23/100. The instant
    // engine: the page is what is tested here, and llama.cpp adds seconds of CPU to every suite run.
    const { dir, run } = await runWithReports(['evals/astronomy', 'evals/business_ethics'], {
      MMLU_DATA_DIR: REAL_DATA_DIR,
      MMLU_ENGINE_MODULE: 'fixtures/engines/always-c.ts',
      MMLU_SHOTS: '0',
      MMLU_CONCURRENCY: '4',
    })
    expect(run.code, run.output).toBe(0)
    const results = JSON.parse(await readFile(path.join(dir, 'mmlu-results.json'), 'utf8')) as ResultsFile
    expect(results.subjects.map((s) => [s.subject, s.correct, s.total])).toEqual([
      ['astronomy', 46, 152],
      ['business_ethics', 23, 100],
    ])

    const server = await serveReport(dir, 0)
    servers.push(server)
    const page = await browser.context.newPage()
    await page.goto(server.url)

    for (const id of ['chart-subjects', 'chart-categories', 'chart-latency', 'chart-throughput']) {
      const svg = page.locator(`#${id} svg`)
      expect(await svg.count(), id).toBe(1)
      const box = await svg.boundingBox()
      expect(box && box.width > 100 && box.height > 100, `${id} ${JSON.stringify(box)}`).toBe(true)
      // Something is drawn: bars, lines, areas.
      expect(await page.locator(`#${id} svg path`).count(), id).toBeGreaterThan(3)
    }
    // Bars and error bars for both subjects; labels in the subject chart are the subjects.
    const subjectChart = await page.locator('#chart-subjects svg').innerHTML()
    expect(subjectChart).toContain('>astronomy<')
    expect(subjectChart).toContain('>business_ethics<')

    // The subject table, cell by cell, against the results JSON.
    const rows = await page.locator('#subjects tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())))
    expect(rows.map((r) => r.slice(0, 8))).toEqual(
      results.subjects.map((s) => [s.subject, s.category === 'stem' ? 'STEM' : 'Other', `${s.correct}/${s.total}`, pct(s.accuracy), ci(s.ci95), String(s.wrong), String(s.invalid), String(s.errors)]),
    )
    expect(rows.map((r) => r.slice(2, 5))).toEqual([
      ['46/152', '30.3%', '[23.5, 38.0]'],
      ['23/100', '23.0%', '[15.8, 32.2]'],
    ])
    const categories = await page.locator('#categories tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())))
    expect(categories).toEqual(results.summary.categories.map((c) => [c.category === 'stem' ? 'STEM' : 'Other', `${c.correct}/${c.total}`, pct(c.accuracy), ci(c.ci95)]))
    // One question link per record into the Vitest report.
    expect(await page.locator('#questions a.q').count()).toBe(results.records.length)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'browser-summary-page.png'), fullPage: true })
    await page.close()
  })
})
