// The progress line `npm test` prints at least every 20 s while a long file runs.
import { expect, test } from 'vitest'
import type { TestCase } from 'vitest/node'
import HeartbeatReporter, { HEARTBEAT_MS } from './helpers/heartbeat-reporter.js'

const fakeTest = (file: string, name: string) => ({ name, module: { relativeModuleId: file } }) as unknown as TestCase

test('names the longest-running tests and how long they have run; counts files done', () => {
  expect(HEARTBEAT_MS).toBeLessThanOrEqual(30_000)
  const r = new HeartbeatReporter()
  expect(r.line(5_000, 40, 3)).toBe('… 5 s elapsed · 3/40 files done · between tests (collecting, setting up)')
  const short = fakeTest('test/a.test.ts', 'short one')
  r.onTestCaseReady(short)
  r.running.set(short, 90_000)
  r.running.set(fakeTest('test/e2e.test.ts', `all 57 subjects ${'x'.repeat(80)}`), 1_000)
  r.running.set(fakeTest('test/b.test.ts', 'middle'), 20_000)
  const line = r.line(96_000, 40, 12)
  expect(line).toMatch(/^… 96 s elapsed · 12\/40 files done · running: test\/e2e\.test\.ts › all 57 subjects x+… \(95 s\); test\/b\.test\.ts › middle \(76 s\), 1 more$/)
  r.onTestCaseResult(short)
  expect(r.line(96_000, 40, 12)).toMatch(/middle \(76 s\)$/)
})
