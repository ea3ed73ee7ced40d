// After the last question (issue 27, item 2): the results JSON is serialized
// once (the history keeps a copy of the file), the summary page is rendered
// once for both folders it is written to, echarts starts loading with the
// first answer, and past PAGED_ABOVE asks the question table is paged.
import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { analyzeRun } from '../src/analysis/run.js'
import type { ResultsFile } from '../src/run/results.js'
import { resultsText, writeResults, writeResultsSync } from '../src/run/results.js'
import { maxOf, minOf } from '../src/base/extent.js'
import { listRuns } from '../src/run/kept-runs.js'
import { keepInterruptedRun, writeRunPages } from '../reporters/run-pages.js'
import { renderSummaryPage } from '../reporters/render/html.js'
import { PAGED_ABOVE, ROWS_PER_PAGE } from '../reporters/render/question-pages.js'
import MmluReporter from '../reporters/mmlu-reporter.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { answerAll, fixedLetter, loadWithInputs, resultsOf } from './helpers/fixed-answers.js'
import { syntheticOutcome, syntheticRun } from './helpers/synthetic-run.js'

const counts = vi.hoisted(() => ({ renders: 0, preloads: 0 }))

// Every page render asks for the chart renderer once: counting the asks counts the renders.
vi.mock('../reporters/render/page.js', async (importOriginal) => {
  const page = await importOriginal<typeof import('../reporters/render/page.js')>()
  return {
    ...page,
    chartRenderer: () => {
      counts.renders++
      return page.chartRenderer()
    },
    preloadCharts: () => {
      counts.preloads++
    },
  }
})

afterEach(() => {
  counts.renders = 0
  counts.preloads = 0
  vi.restoreAllMocks()
})

async function fixtureRun(letter: 'A' | 'D', createdAt: string): Promise<ResultsFile> {
  const astronomy = await loadWithInputs(FIXTURE_DATA_DIR, 'astronomy')
  const records = answerAll(astronomy.test, fixedLetter(letter))
  return { ...resultsOf(`fixed-${letter}.gguf`, [astronomy], records, FIXTURE_DATA_DIR, { createdAt }), analysis: analyzeRun(records) }
}

/** How many times the run went through JSON.stringify since the spy was set: the file is written a record at a time, so each record counts. */
const serialized = (spy: { mock: { calls: unknown[][] } }, run: ResultsFile) => {
  const counts = run.records.map((r) => spy.mock.calls.filter((c) => c[0] === r || c[0] === run).length)
  return { min: minOf(counts), max: maxOf(counts) }
}

const historyFact = /<dt>history<\/dt><dd>.*?<\/dd>/

describe('the results JSON, once', () => {
  test('a finished run: serialized once; the history holds the same bytes as the file written', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-once-'))
    const resultsFile = path.join(dir, 'mmlu-results.json')
    const run = await fixtureRun('A', '2026-02-01T10:00:00.000Z')
    const stringify = vi.spyOn(JSON, 'stringify')
    await writeResults(resultsFile, run)
    const lines = await writeRunPages(resultsFile, run, { keepRuns: undefined, keep: true })
    expect(lines.join('\n')).not.toContain('not kept')
    expect(serialized(stringify, run)).toEqual({ min: 1, max: 1 })
    const [kept] = await listRuns(path.join(dir, 'runs'))
    expect(await readFile(path.join(dir, 'runs', kept!.id, 'mmlu-results.json'))).toEqual(await readFile(resultsFile))
  })

  test('an interrupted run (the synchronous exit path): serialized once; the history holds the same bytes', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-once-cut-'))
    const resultsFile = path.join(dir, 'mmlu-results.json')
    const cut = { ...(await fixtureRun('D', '2026-02-01T11:00:00.000Z')), status: 'interrupted' as const }
    const stringify = vi.spyOn(JSON, 'stringify')
    writeResultsSync(resultsFile, cut)
    const lines = keepInterruptedRun(resultsFile, cut, undefined)
    expect(lines.join('\n')).toContain('1 run kept')
    expect(serialized(stringify, cut)).toEqual({ min: 1, max: 1 })
    const [kept] = await listRuns(path.join(dir, 'runs'))
    expect(await readFile(path.join(dir, 'runs', kept!.id, 'mmlu-results.json'))).toEqual(await readFile(resultsFile))
  })
})

describe('the history keeps this run, whatever replaced the results file', () => {
  test('another run wrote the same results file in between: the history holds this run, the async and the sync path', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-once-replaced-'))
    const resultsFile = path.join(dir, 'mmlu-results.json')
    const mine = await fixtureRun('A', '2026-02-06T10:00:00.000Z')
    const other = await fixtureRun('D', '2026-02-06T10:00:01.000Z')
    await writeResults(resultsFile, other)
    await writeRunPages(resultsFile, mine, { keepRuns: undefined, keep: true })
    const kept = path.join(dir, 'runs', '20260206-100000-fixed-A.gguf', 'mmlu-results.json')
    expect(await readFile(kept, 'utf8')).toBe([...resultsText(mine)].join(''))

    const cut = { ...mine, createdAt: '2026-02-06T11:00:00.000Z', status: 'interrupted' as const }
    keepInterruptedRun(resultsFile, cut, undefined)
    expect(await readFile(path.join(dir, 'runs', '20260206-110000-fixed-A.gguf', 'mmlu-results.json'), 'utf8')).toBe([...resultsText(cut)].join(''))
  })
})

describe('the summary page, rendered once', () => {
  test('one render serves reports/index.html and the history copy; they differ only in the history links', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-page-once-'))
    const resultsFile = path.join(dir, 'mmlu-results.json')
    const run = await fixtureRun('A', '2026-02-02T10:00:00.000Z')
    await writeResults(resultsFile, run)
    await writeRunPages(resultsFile, run, { keepRuns: undefined, keep: true })
    expect(counts.renders).toBe(1)
    const id = '20260202-100000-fixed-A.gguf'
    const main = await readFile(path.join(dir, 'index.html'), 'utf8')
    const copy = await readFile(path.join(dir, 'runs', id, 'index.html'), 'utf8')
    expect(main.match(historyFact)![0]).toBe(`<dt>history</dt><dd><a href="runs/index.html">all runs</a> · <a href="runs/${id}/index.html">this run's copy</a></dd>`)
    expect(copy.match(historyFact)![0]).toBe('<dt>history</dt><dd><a href="../index.html">all runs</a></dd>')
    expect(main.replace(historyFact, '')).toBe(copy.replace(historyFact, ''))
    expect(main).not.toContain('<!--mmlu:')
  })

  test("a results file of another name: each page links its own folder's results file", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-page-name-'))
    const resultsFile = path.join(dir, 'nightly.json')
    const run = await fixtureRun('D', '2026-02-03T10:00:00.000Z')
    await writeResults(resultsFile, run)
    await writeRunPages(resultsFile, run, { keepRuns: undefined, keep: true })
    expect(counts.renders).toBe(1)
    expect(await readFile(path.join(dir, 'index.html'), 'utf8')).toContain('every record in <a href="nightly.json">nightly.json</a>')
    expect(await readFile(path.join(dir, 'runs', '20260203-100000-fixed-D.gguf', 'index.html'), 'utf8')).toContain('every record in <a href="mmlu-results.json">mmlu-results.json</a>')
  })

  test('with links into the Vitest HTML report, the history copy has none (the next run overwrites that report)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-page-links-'))
    const resultsFile = path.join(dir, 'mmlu-results.json')
    const run = await fixtureRun('A', '2026-02-04T10:00:00.000Z')
    await writeResults(resultsFile, run)
    const links = { href: 'html/index.html', files: new Map([['astronomy', '42']]), tests: new Map([['astronomy#0', '42_0']]) }
    await writeRunPages(resultsFile, run, { links, keepRuns: undefined, keep: true })
    expect(await readFile(path.join(dir, 'index.html'), 'utf8')).toContain('href="html/index.html#/?file=42&amp;test=42_0"')
    expect(await readFile(path.join(dir, 'runs', '20260204-100000-fixed-A.gguf', 'index.html'), 'utf8')).not.toContain('html/index.html')
  })
})

describe('echarts, loaded with the first answer', () => {
  /** The reporter in the state of an MMLU run, as onTestRunStart leaves it. */
  function reporterInRun(): MmluReporter {
    const reporter = new MmluReporter()
    Object.assign(reporter, { mmlu: true, progress: { answered: () => {} } })
    return reporter
  }
  const answer = (mmlu: unknown) => ({ meta: () => (mmlu ? { mmlu } : {}) }) as unknown as Parameters<MmluReporter['onTestCaseResult']>[0]

  test('the first recorded answer starts the import, once; a test without an answer starts nothing', async () => {
    const reporter = reporterInRun()
    reporter.onTestCaseResult(answer(undefined))
    expect(counts.preloads).toBe(0)
    const run = await fixtureRun('A', '2026-02-05T10:00:00.000Z')
    for (const r of run.records) reporter.onTestCaseResult(answer(r))
    expect(counts.preloads).toBe(1)
  })
})

describe(`past ${PAGED_ABOVE.toLocaleString('en-US')} asks, a paged question table`, () => {
  test('at the threshold, one row per ask as before; past it, the rows once as JSON and no row inline', async () => {
    const at = await renderSummaryPage(syntheticRun(PAGED_ABOVE), undefined, 'mmlu-results.json')
    expect(at.match(/<tr id="q-/g)).toHaveLength(PAGED_ABOVE)
    expect(at).not.toContain('<script')

    const n = PAGED_ABOVE + 1
    const past = syntheticRun(n, { trials: 3 })
    const page = await renderSummaryPage(past, undefined, 'mmlu-results.json')
    expect(page.match(/<tr id="q-/g)).toBeNull()
    expect(page).toContain(`${n.toLocaleString('en-US')} answers: Every answer, ${ROWS_PER_PAGE} at a time`)
    const json = page.match(/<script type="application\/json" id="question-data">(.*?)<\/script>/s)![1]!
    const data = JSON.parse(json) as { subjects: string[]; letters: string[]; rows: [number, number, string, string, string, string, 0 | 1, string[], number, string, string, string][] }
    expect(data.letters).toEqual(['A', 'B', 'C', 'D'])
    expect(data.rows).toHaveLength(n)
    // Each outcome as many times as the rule that made the records says, and each row its record's trial.
    const expected = { correct: 0, wrong: 0, invalid: 0 }
    for (let i = 0; i < n; i++) expected[syntheticOutcome(i)]++
    for (const outcome of ['correct', 'wrong', 'invalid'] as const) expect(data.rows.filter((r) => r[5] === outcome)).toHaveLength(expected[outcome])
    expect(data.rows[0]!.slice(0, 3)).toEqual([0, 0, '/t1'])
    expect(data.rows[2]!.slice(0, 3)).toEqual([0, 0, '/t3'])
  })

  test('a question text that would end the script is escaped inside the JSON', async () => {
    const run = syntheticRun(PAGED_ABOVE + 1)
    const titles = new Map([['astronomy#0', 'What does </script><script>alert(1)</script> <!-- do?']])
    const page = await renderSummaryPage(run, undefined, 'mmlu-results.json', { titles })
    const json = page.match(/<script type="application\/json" id="question-data">(.*?)<\/script>/s)![1]!
    expect(json).not.toContain('<')
    expect((JSON.parse(json) as { titles: Record<string, string> }).titles['0#0']).toBe('What does </script><script>alert(1)</script> <!-- do?')
  })
})
