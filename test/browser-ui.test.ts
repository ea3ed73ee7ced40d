// Acceptance 2: `vitest --ui --open=false --watch` on a fixture subject serves
// the UI on 127.0.0.1; in Chromium the question list is there and a question's
// annotations are visible. The spawned Vitest is stopped at the end, and it
// carries a hard time limit of its own in case this process dies first.
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import type { TestBrowser } from './helpers/browser.js'
import { HAS_CHROMIUM, launchBrowser, SCREENSHOT_DIR } from './helpers/browser.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import type { VitestUi } from './helpers/run-vitest.js'
import { freePort, startVitestUi } from './helpers/run-vitest.js'

describe.skipIf(!HAS_CHROMIUM)('vitest --ui in Chromium', () => {
  let browser: TestBrowser
  let ui: VitestUi | undefined
  beforeAll(async () => {
    browser = await launchBrowser()
    await mkdir(SCREENSHOT_DIR, { recursive: true })
  })
  afterAll(async () => {
    await ui?.stop()
    await browser?.close()
  })

  test('2. the UI lists the questions as tests and shows a question\'s annotations', async () => {
    // Fixture business_ethics answers are A B C D A B C D; always-C gets #1 (expected B) wrong.
    const port = await freePort()
    ui = await startVitestUi(['evals/business_ethics'], {
      port,
      env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', MMLU_MODEL: await fixtureModelPath('fixed-C'), MMLU_PROGRESS_MS: '0' },
      maxLifeS: 240,
    })
    expect(ui.url).toBe(`http://127.0.0.1:${port}/__vitest__/`)

    const page = await browser.context.newPage()
    await page.goto(ui.url)
    // The explorer: the file, the subject as a suite, the questions as tests named "#<index> <question>".
    const questions = page.getByText(/^#\d+ /)
    await expect.poll(() => questions.count(), { timeout: 60_000 }).toBe(8)
    expect(await page.getByText('business ethics', { exact: true }).count()).toBeGreaterThan(0)
    // Annotations arrive with the question's result: poll until they show.
    const target = page.getByText(/^#1 Who counts as a stakeholder/)
    await target.click()
    const answer = page.locator('[role="note"]', { hasText: 'answer' })
    await expect.poll(() => answer.count(), { timeout: 60_000 }).toBe(1)
    expect(await answer.isVisible()).toBe(true)
    const text = await answer.innerText()
    expect(text).toMatch(/given C, expected B · p\(A,B,C,D\) = [\d.e-]+, [\d.e-]+, [\d.e-]+, [\d.e-]+ · raw " C" · \d+ ms · \d+ prompt tokens, 5-shot/)
    // Always-C leaves the other letters near 1e-5: shown with their digits, not as 0.000 (issue 13, item 12).
    const shown = /p\(A,B,C,D\) = ([^·]+) ·/.exec(text)![1]!.split(', ')
    expect(shown[2]).toMatch(/^(0\.99\d+|1\.000)$/)
    for (const other of [shown[0], shown[1], shown[3]]) expect(other).toMatch(/^\d\.\d+e-\d+$/)
    const question = page.locator('[role="note"]', { hasText: 'question' })
    expect(await question.isVisible()).toBe(true)
    expect(await question.innerText()).toMatch(/Who counts as a stakeholder.*\(A\) .*\(D\) /s)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'browser-vitest-ui-question.png') })
    await page.close()

    await ui.stop()
    // Stopped: the port no longer answers.
    await expect(fetch(ui.url)).rejects.toThrow()
  })
})
