// The leaderboard page (npm run leaderboard) in headless Chromium, opened from
// file:// as a user would: it renders, logs no error, draws the Pareto front
// through the runs no other run beats on both accuracy and speed, and labels
// every point. Four fixed-answer runs on the real astronomy split, given
// speeds and memory so that three are on the front and one is not.
import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { leaderboard } from '../src/analysis/leaderboard.js'
import type { ResultsFile } from '../src/run/results.js'
import { renderLeaderboardHtml } from '../reporters/render/leaderboard.js'
import type { TestBrowser } from './helpers/browser.js'
import { HAS_CHROMIUM, launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js'
import { HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { answerAll, fixedLetter, loadWithInputs, resultsOf } from './helpers/fixed-answers.js'

describe.skipIf(!HAS_CHROMIUM || !HAS_REAL_DATA)('the leaderboard page in Chromium', () => {
  let browser: TestBrowser
  beforeAll(async () => {
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
  })

  test('renders from file:// without console errors; the Pareto front joins D, C and B; every point is labelled', async () => {
    const astronomy = await loadWithInputs(REAL_DATA_DIR, 'astronomy')
    // Accuracy D 51 > C 46 > B 28 > A 27 of 152; speeds chosen so that A is beaten by B on both.
    const speeds = { A: 30, B: 80, C: 60, D: 40 } as const
    const runs = (['A', 'B', 'C', 'D'] as const).map((l) => {
      const base = resultsOf(`fixed-${l}.gguf`, [astronomy], answerAll(astronomy.test, fixedLetter(l)), REAL_DATA_DIR)
      const results: ResultsFile = { ...base, summary: { ...base.summary, questionsPerSecond: speeds[l] }, peakRssBytes: (150 + speeds[l]) * 2 ** 20 }
      return { label: `fixed-${l}.gguf`, file: `${l}.json`, results }
    })
    const board = leaderboard(runs)
    expect(board.tables[0]!.rows.map((r) => [r.label, r.pareto])).toEqual([
      ['fixed-D.gguf', true],
      ['fixed-C.gguf', true],
      ['fixed-B.gguf', true],
      ['fixed-A.gguf', false],
    ])
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-leaderboard-page-'))
    const file = path.join(dir, 'leaderboard.html')
    await writeFile(file, await renderLeaderboardHtml(board))

    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text())
    })
    page.on('pageerror', (e) => errors.push(e.message))
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`))
    await page.goto(pathToFileURL(file).href)
    expect(await page.locator('h1').innerText()).toBe('MMLU leaderboard')
    // The table: ranks and standings as the analysis has them.
    const rows = await page.locator('#leaderboard-1 tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent!.trim())))
    expect(rows).toEqual([
      ['1', 'fixed-D.gguf', 'best'],
      ['2', 'fixed-C.gguf', '≈ best'],
      ['3', 'fixed-B.gguf', 'below'],
      ['4', 'fixed-A.gguf', 'below'],
    ])
    for (const id of ['chart-speed-1', 'chart-memory-1']) {
      const box = await page.locator(`#${id} svg`).boundingBox()
      expect(box && box.width > 300 && box.height > 200, `${id} ${JSON.stringify(box)}`).toBe(true)
    }
    const svg = page.locator('#chart-speed-1 svg')
    // The front: one dashed red polyline through three points (M + 2 L), in order of speed.
    const front = await svg.locator('path[stroke="#c62828"][stroke-dasharray]').evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''))
    const lines = front.filter((d) => (d.match(/L/g) ?? []).length === 2 && d.startsWith('M'))
    expect(lines, front.join('\n')).toHaveLength(1)
    const xs = [...lines[0]!.matchAll(/[ML]\s*([\d.]+)[ ,]/g)].map((m) => Number(m[1]))
    expect(xs).toEqual([...xs].sort((a, b) => a - b))
    expect(await svg.locator('text', { hasText: 'Pareto front' }).count()).toBe(1)
    for (const l of ['A', 'B', 'C', 'D']) expect(await svg.locator('text', { hasText: `fixed-${l}.gguf` }).count(), l).toBe(1)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'browser-leaderboard.png'), fullPage: true })
    expect(errors).toEqual([])
    await page.close()
  })
})
