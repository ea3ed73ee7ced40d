// Subjects a dead worker left behind, without killing one: the reporter is fed,
// in this process, a run of three planned subject files where one reported every
// question, one reported 4 of its 8 collected questions, and one never reported
// back. test/integrity-run.test.ts does the same through a real SIGKILL; this
// one is exact and fast. Each figure is written here from the counts fed in.
// Also fed here: an interrupt that comes before the end-of-run code has loaded.
import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, expect, test, vi } from 'vitest'
import type { TestCase, TestModule, TestSpecification, Vitest } from 'vitest/node'
import MmluReporter from '../reporters/mmlu-reporter.js'
import type { ResultsFile } from '../src/run/results.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { answerAll, fixedLetter, loadWithInputs } from './helpers/fixed-answers.js'

const exitCode = process.exitCode
afterEach(() => {
  vi.unstubAllEnvs()
  process.exitCode = exitCode
})

/** What the reporter reads of a test file: its id, project, collected tests and their meta. */
function moduleOf(moduleId: string, tests: { mmlu?: unknown }[]): TestModule {
  const cases = tests.map((meta) => ({ meta: () => meta, result: () => ({ state: meta.mmlu ? 'passed' : 'pending' }), name: '#0 q', fullName: '#0 q' }))
  return {
    moduleId,
    relativeModuleId: path.relative(process.cwd(), moduleId),
    project: { name: 'mmlu' },
    children: { allSuites: () => [], allTests: () => cases },
    errors: () => [],
    diagnostic: () => ({ duration: 100 }),
    ok: () => true,
  } as unknown as TestModule
}

/** A Vitest context with what the reporter uses; its lines and terminal-cleanup hook are the test's. */
function fakeVitest(lines: string[], onCleanup: (fn: () => void) => void = () => {}): Vitest {
  return {
    logger: { log: (l = '') => lines.push(l), error: (l = '') => lines.push(l), printError: (e: unknown) => lines.push(String(e)), onTerminalCleanup: onCleanup, printBanner: () => {}, outputStream: process.stdout },
    config: { root: process.cwd(), reporters: [], ui: false, watch: false, outputFile: {} },
    projects: [{ name: 'mmlu', config: { maxWorkers: 1 } }],
    provide: () => {},
  } as unknown as Vitest
}

const file = (s: string) => path.join(process.cwd(), 'evals', `${s}.eval.ts`)
const specs = (subjects: string[]) => subjects.map((s) => ({ moduleId: file(s), project: { name: 'mmlu', config: { root: process.cwd() } } }) as unknown as TestSpecification)

test('a subject cut short is partial and one never reported is not run: in the table, the JSON and the exit code (1)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-partial-'))
  const resultsFile = path.join(dir, 'mmlu-results.json')
  vi.stubEnv('MMLU_RESULTS', resultsFile)
  vi.stubEnv('MMLU_PROGRESS_MS', '0')
  vi.stubEnv('MMLU_DATA_DIR', FIXTURE_DATA_DIR)
  const lines: string[] = []
  const reporter = new MmluReporter()
  reporter.onInit(fakeVitest(lines))
  await reporter.onTestRunStart(specs(['astronomy', 'business_ethics', 'anatomy']))

  const astronomy = await loadWithInputs(FIXTURE_DATA_DIR, 'astronomy')
  const ethics = await loadWithInputs(FIXTURE_DATA_DIR, 'business_ethics')
  const whole = answerAll(astronomy.test, fixedLetter('A')).map((mmlu) => ({ mmlu }))
  // 8 questions collected, 4 answered before the worker ended.
  const cut = [...answerAll(ethics.test.slice(0, 4), fixedLetter('A')).map((mmlu) => ({ mmlu })), {}, {}, {}, {}]
  await reporter.onTestRunEnd([moduleOf(file('astronomy'), whole), moduleOf(file('business_ethics'), cut)], [], 'passed')

  const results = JSON.parse(await readFile(resultsFile, 'utf8')) as ResultsFile
  expect(results.subjects.map((s) => [s.subject, s.status, s.total, s.planned])).toEqual([
    ['astronomy', 'complete', 8, 8],
    ['business_ethics', 'partial', 4, 8],
    // Never reported: its canonical count is what was planned.
    ['anatomy', 'not-run', 0, 135],
  ])
  expect(results.summary).toMatchObject({ questions: 12, partialSubjects: ['business_ethics'], notRunSubjects: ['anatomy'] })
  expect(results.status).toBe('failed')
  const out = lines.join('\n')
  expect(out).toMatch(/^business_ethics .* partial: 4 of 8 asked/m)
  expect(out).toMatch(/^anatomy +not run/m)
  expect(out).toContain('Subjects   not run: anatomy · partial: business_ethics')
  expect(out).toContain('Exit code 1: 1 subject did not run (anatomy); 1 subject stopped part way (business_ethics)')
  expect(process.exitCode).toBe(1)
})

test('interrupted before the end-of-run code has loaded: no results file, and the message says where the answers are', async () => {
  // The reporter loads reporters/end-of-run.ts in the background as the run starts; here it never arrives.
  vi.doMock('../reporters/end-of-run.js', () => new Promise(() => {}))
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-early-interrupt-'))
  const resultsFile = path.join(dir, 'mmlu-results.json')
  vi.stubEnv('MMLU_RESULTS', resultsFile)
  vi.stubEnv('MMLU_PROGRESS_MS', '0')
  vi.stubEnv('MMLU_DATA_DIR', FIXTURE_DATA_DIR)
  let cleanup = () => {}
  const reporter = new MmluReporter()
  reporter.onInit(fakeVitest([], (fn) => (cleanup = fn)))
  await reporter.onTestRunStart(specs(['astronomy']))
  const astronomy = await loadWithInputs(FIXTURE_DATA_DIR, 'astronomy')
  for (const mmlu of answerAll(astronomy.test.slice(0, 3), fixedLetter('A'))) reporter.onTestCaseResult({ meta: () => ({ mmlu }), module: { moduleId: file('astronomy') } } as unknown as TestCase)
  const written: string[] = []
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0)
  try {
    cleanup()
  } finally {
    stderr.mockRestore()
    vi.doUnmock('../reporters/end-of-run.js')
  }
  expect(written).toEqual([
    `\nInterrupted while the reporter was still loading its end-of-run code: 3 answered questions not written to ${resultsFile}; they are in the answer cache, and the next run of the same inputs reuses them.\n`,
  ])
  expect(await readFile(resultsFile, 'utf8').catch(() => 'absent')).toBe('absent')
})
