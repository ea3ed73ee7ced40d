// Headless Chromium for the browser checks: Debian's `chromium` driven by
// playwright-core (`npx playwright install` cannot download a browser here).
// Each launch gets a fresh profile, removed again on close.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { BrowserContext } from 'playwright-core'
import { chromium } from 'playwright-core'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const HAS_CHROMIUM = existsSync(CHROMIUM_PATH)

if (!HAS_CHROMIUM && process.env.CI) {
  throw new Error(`CI needs Chromium at ${CHROMIUM_PATH} for the browser checks: .ci/run installs it with apt-get install -y chromium.`)
}
if (!HAS_CHROMIUM) console.warn(`Skipping this file's browser checks: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH; with CI set this fails instead).`)

export interface TestBrowser {
  /** A context on a fresh profile: `context.newPage()`. */
  context: BrowserContext
  close(): Promise<void>
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'mmlu-chromium-'))
  // Playwright takes the profile folder as userDataDir (it refuses --user-data-dir in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 60_000,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  return {
    context,
    async close() {
      await context.close().catch(() => undefined)
      await rm(profile, { recursive: true, force: true })
    },
  }
}

/** Where the browser checks leave their screenshots (beside the reports a run writes). */
export const SCREENSHOT_DIR = path.resolve('reports')
