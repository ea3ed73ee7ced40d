// A reporter for the project's own test run (`npm test` adds it beside Vitest's
// default one). Vitest prints a file's line only when the whole file is done,
// so a long end-to-end file looks like a hang; this prints a line at least
// every HEARTBEAT_MS with what is running and for how long. At the end it lists
// every skipped test with the reason it was given (`ctx.skip(reason)`).
import type { TestCase, TestModule, Vitest } from 'vitest/node'
import type { Reporter } from 'vitest/node'

export const HEARTBEAT_MS = 20_000

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`

export default class HeartbeatReporter implements Reporter {
  private ctx!: Vitest
  private timer: NodeJS.Timeout | undefined
  private startedAt = 0
  private files = 0
  private filesDone = 0
  /** Tests running now, with when they started. */
  readonly running = new Map<TestCase, number>()

  private readonly intervalMs: number

  /** Vitest passes a reporter's options object (`--reporter=x` gives none). */
  constructor(options: { intervalMs?: number } = {}) {
    this.intervalMs = options.intervalMs ?? HEARTBEAT_MS
  }

  onInit(ctx: Vitest): void {
    this.ctx = ctx
  }

  onTestRunStart(specs: ReadonlyArray<unknown>): void {
    this.startedAt = performance.now()
    this.files = specs.length
    this.filesDone = 0
    this.timer = setInterval(() => this.ctx.logger.log(this.line(performance.now())), this.intervalMs)
    this.timer.unref()
  }

  onTestModuleEnd(_module: TestModule): void {
    this.filesDone++
  }

  onTestCaseReady(test: TestCase): void {
    this.running.set(test, performance.now())
  }

  onTestCaseResult(test: TestCase): void {
    this.running.delete(test)
  }

  /** `… 3m elapsed · 12/45 files done · running: test/e2e-core.test.ts › all 57 subjects… (95 s), 1 more` */
  line(now: number, files = this.files, filesDone = this.filesDone): string {
    const longest = [...this.running].sort((a, b) => a[1] - b[1])
    const shown = longest.slice(0, 2).map(([t, since]) => `${t.module.relativeModuleId} › ${t.name.length > 70 ? `${t.name.slice(0, 70)}…` : t.name} (${seconds(now - since)})`)
    const more = longest.length > 2 ? `, ${longest.length - 2} more` : ''
    const what = shown.length ? `running: ${shown.join('; ')}${more}` : 'between tests (collecting, setting up)'
    return `… ${seconds(now - this.startedAt)} elapsed · ${filesDone}/${files} files done · ${what}`
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    clearInterval(this.timer)
    const skipped = modules.flatMap((m) => [...m.children.allTests()].filter((t) => t.result().state === 'skipped'))
    if (skipped.length === 0) return
    this.ctx.logger.log(`\nSkipped ${skipped.length} test${skipped.length === 1 ? '' : 's'}, and why:`)
    for (const t of skipped) {
      const result = t.result()
      const note = result.state === 'skipped' ? result.note : undefined
      this.ctx.logger.log(`  ↓ ${t.module.relativeModuleId} › ${t.fullName}: ${note ?? 'see the reason its file printed above'}`)
    }
  }
}
