// Issue 12, "Results and the report", end to end: a run that cannot start
// keeps the last results; a dead worker leaves subjects not run or partial,
// said everywhere; MMLU_LIMIT does not excuse an incomplete copy; the shots
// used and the notes are in every header. The instant engine answers, where
// the engine is not what is tested.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { closedPort, startModelServer } from '../fixtures/servers/model-server.js'
import { FIXTURE_DATA_DIR, HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { runVitest } from './helpers/run-vitest.js'

const INSTANT = { MMLU_ENGINE_MODULE: 'bench/instant-engine.ts' }
const FIXTURES = { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1' }

describe('a run that cannot start', () => {
  // The good run before it shows two more things: MMLU_RESULTS ending in / is a folder that gets
  // mmlu-results.json, and MMLU_ALLOW_PARTIAL lets MMLU_LIMIT take 4 of the fixture's 8 questions.
  test('keeps the last results file and summary page; MMLU_RESULTS ending in / is a folder: the results go in it as mmlu-results.json', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-keep-'))
    const folder = path.join(dir, 'new')
    const results = path.join(folder, 'mmlu-results.json')
    const good = await runVitest(['evals/astronomy'], { env: { ...INSTANT, ...FIXTURES, MMLU_RESULTS: `${folder}/`, MMLU_LIMIT: '4' } })
    expect(good.code, good.output).toBe(0)
    expect(good.output).toContain(`Results    ${results}`)
    const written = JSON.parse(readFileSync(results, 'utf8')) as { records: unknown[]; summary: { questions: number } }
    expect([written.records.length, written.summary.questions]).toEqual([4, 4])
    expect(readdirSync(folder).filter((f) => f.endsWith('.tmp'))).toEqual([])
    const before = [readFileSync(results, 'utf8'), readFileSync(path.join(folder, 'index.html'), 'utf8')]
    const broken = await runVitest(['evals/astronomy'], { env: { ...INSTANT, MMLU_DATA_DIR: path.join(dir, 'no-such-data'), MMLU_RESULTS: `${folder}/` } })
    expect(broken.code).toBe(1)
    expect(broken.output).toContain(`${path.join(dir, 'no-such-data')}: the data folder does not exist`)
    expect(broken.output).toContain('Results    not written: no question was answered')
    // No empty summary table before the error, no trace.
    expect(broken.output).not.toMatch(/subject +correct|Accuracy {3}|\n\s+at /)
    expect([readFileSync(results, 'utf8'), readFileSync(path.join(folder, 'index.html'), 'utf8')]).toEqual(before)
  })

  test('an interrupt before the first answer keeps the last results too (the process ends by SIGINT: a shell shows 130, even with an exit code set before the signal)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-keep-int-'))
    const results = path.join(dir, 'mmlu-results.json')
    writeFileSync(results, '{"the last run": true}')
    // A server that takes 30 s to answer: the interrupt comes while the first question waits.
    const slow = await startModelServer({ latencyMs: 30_000 })
    try {
      const run = await runVitest(['evals/astronomy'], {
        env: { ...FIXTURES, MMLU_BACKEND: 'ollama', OLLAMA_HOST: slow.url, MMLU_RESULTS: results, MMLU_PROGRESS_MS: '50' },
        interruptWhen: /progress\s+0\/8 questions/,
        // Sets the exit code to 1 as the run starts, as a worker reported dead does: Ctrl-C reaches the
        // worker too, which can die of it before the main process handles its own SIGINT.
        args: ['--reporter=./reporters/mmlu-reporter.ts', '--reporter=./test/helpers/exit-code-reporter.ts'],
      })
      // 128 + 2, as a shell shows a process ended by SIGINT: Vitest's own handler keeps a code set before.
      expect(run.signal === 'SIGINT' || run.code === 130, `code ${run.code}, signal ${run.signal}\n${run.output.slice(-3000)}`).toBe(true)
      expect(run.output).toContain('Interrupted before any question was answered')
      expect(readFileSync(results, 'utf8')).toBe('{"the last run": true}')
    } finally {
      await slow.close()
    }
  })

  test('SIGTERM mid-run saves every answer so far and ends the process by SIGTERM (a shell shows 143), as the README says; MMLU_KEEP_RUNS holds', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-term-'))
    const results = path.join(dir, 'mmlu-results.json')
    // Two earlier runs in the history: with MMLU_KEEP_RUNS=2 the interrupted run and the newer of them stay.
    for (const day of ['01', '02']) {
      mkdirSync(path.join(dir, 'runs', `202601${day}-000000-m`), { recursive: true })
      writeFileSync(path.join(dir, 'runs', `202601${day}-000000-m`, 'run.json'), JSON.stringify({ model: 'm', createdAt: `2026-01-${day}T00:00:00.000Z` }))
    }
    const slow = await startModelServer({ latencyMs: 150 })
    try {
      const run = await runVitest(['evals/astronomy'], {
        env: { ...FIXTURES, MMLU_BACKEND: 'ollama', OLLAMA_HOST: slow.url, MMLU_RESULTS: results, MMLU_PROGRESS_MS: '50', MMLU_KEEP_RUNS: '2' },
        interruptWhen: /progress\s+[2-5]\/8 questions/,
        interruptSignal: 'SIGTERM',
      })
      expect(run.signal === 'SIGTERM' || run.code === 143, `code ${run.code}, signal ${run.signal}`).toBe(true)
      const saved = JSON.parse(readFileSync(results, 'utf8')) as { status: string; records: unknown[] }
      expect(saved.status).toBe('interrupted')
      // At least the 2 the progress line had reported; the rest is the machine's speed, checked against what the run said below.
      expect(saved.records.length).toBeGreaterThanOrEqual(2)
      expect(run.output).toContain(`Interrupted: ${saved.records.length} answered questions saved to ${results}`)
      const kept = readdirSync(path.join(dir, 'runs')).filter((n) => n !== 'index.html').sort()
      expect(kept).toHaveLength(2)
      expect(kept[0]).toBe('20260102-000000-m')
      expect(kept[1]).toMatch(/^\d{8}-\d{6}-/)
      expect(JSON.parse(readFileSync(path.join(dir, 'runs', kept[1]!, 'mmlu-results.json'), 'utf8'))).toMatchObject({ status: 'interrupted', records: saved.records })
    } finally {
      await slow.close()
    }
  })

  test('a results folder that cannot be written stops the run before the first question', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-unwritable-'))
    const blocker = path.join(dir, 'reports')
    writeFileSync(blocker, 'a file where the folder should be')
    const run = await runVitest(['evals/astronomy'], { env: { ...INSTANT, ...FIXTURES, MMLU_RESULTS: path.join(blocker, 'results.json'), MMLU_PROGRESS_MS: '50' } })
    expect(run.code).toBe(1)
    expect(run.output).toMatch(/✗ MMLU_RESULTS=.*reports\/results\.json: the results cannot be written there \((ENOTDIR|EEXIST)\)\. Fix: /)
    // Stopped before any question: no progress line, no subject line.
    expect(run.output).not.toMatch(/progress|astronomy +\d+\/\d+ correct/)
  })

  // Issue 25 bug 2: an existing folder passed the probe (a file beside it) and failed after the last question with EISDIR, leaving a .tmp.
  test('MMLU_RESULTS naming an existing folder stops the run before the first question, and leaves nothing behind', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-results-folder-'))
    const folder = path.join(dir, 'out')
    mkdirSync(folder)
    const run = await runVitest(['evals/astronomy'], { env: { ...INSTANT, ...FIXTURES, MMLU_RESULTS: folder, MMLU_PROGRESS_MS: '50' } })
    expect(run.code).toBe(1)
    expect(run.output).toContain(`✗ MMLU_RESULTS=${folder} is a folder, not a file. Fix: name the file (MMLU_RESULTS=${path.join(folder, 'mmlu-results.json')}), or end the folder with / to write mmlu-results.json in it.`)
    expect(run.output).not.toMatch(/progress|astronomy +\d+\/\d+ correct/)
    expect(readdirSync(dir)).toEqual(['out'])
    expect(readdirSync(folder)).toEqual([])
  })

  // With Vitest's experimental.fsModuleCache on, Vite's source-map lookup failed on every error from the
  // reporter or a global setup, printing `TypeError: code.charCodeAt is not a function` in place of the real
  // one (src/base/source-maps.ts). Twice: the second run's modules all come from the cache.
  test('a bug in the main process prints its own message and TypeScript line, from the module cache too', async () => {
    for (const round of [1, 2]) {
      const run = await runVitest(['evals/astronomy'], {
        env: { ...INSTANT, ...FIXTURES, MMLU_LIMIT: '1', MMLU_RESULTS: path.join(await mkdtemp(path.join(os.tmpdir(), 'mmlu-bug-')), 'r.json') },
        args: ['--reporter=./reporters/mmlu-reporter.ts', '--reporter=./test/helpers/throwing-reporter.ts'],
      })
      expect(run.code, `round ${round}: ${run.output}`).toBe(1)
      expect(run.output, `round ${round}`).toContain('Error: planted bug in a reporter')
      expect(run.output, `round ${round}`).toMatch(/test\/helpers\/throwing-reporter\.ts:8:\d+/)
      expect(run.output, `round ${round}`).not.toContain('charCodeAt')
    }
  })

  test('an error thrown in the global setup prints its own message (the offline download\'s three ways out)', async () => {
    const port = await closedPort()
    const run = await runVitest(['evals/astronomy'], { env: { MMLU_DATA_URL: `http://127.0.0.1:${port}/data.tar` } })
    expect(run.code).toBe(1)
    expect(run.output).toContain(`Could not download the MMLU data from http://127.0.0.1:${port}/data.tar`)
    expect(run.output).toContain('Three ways out:')
    expect(run.output).not.toContain('charCodeAt')
  })
})

describe('a worker that dies', () => {
  test.skipIf(!HAS_REAL_DATA)('subjects it never reached are not run, the one it was in is partial; terminal, JSON and page agree; exit 1', async () => {
    const now = path.join(await mkdtemp(path.join(os.tmpdir(), 'mmlu-crash-')), 'now')
    const run = await runVitest(['evals/college_biology', 'evals/astronomy', 'evals/anatomy'], {
      // The test engine kills its worker (SIGKILL, like the OOM killer) once the run's progress
      // line shows 250 answers reached the reporter; past 250 it answers slowly until then.
      env: { MMLU_ENGINE_MODULE: 'test/helpers/engines/crashing-engine.ts', CRASH_AFTER: '250', CRASH_NOW_FILE: now, MMLU_DATA_DIR: REAL_DATA_DIR, MMLU_PROGRESS_MS: '50' },
      args: ['--no-file-parallelism'],
      onOutput: { when: /progress\s+(25\d|2[6-9]\d)\/\d+ questions/, then: () => writeFileSync(now, '') },
    })
    expect(run.code).toBe(1)
    // Vitest's sequencer picks the order; whatever it is, 250 answers and the few slow ones
    // before the kill finish one subject, cut the next, and never reach the third.
    const by = (status: string) => run.results!.subjects.filter((s) => s.status === status)
    const [complete, partial, notRun] = [by('complete'), by('partial'), by('not-run')]
    expect([complete.length, partial.length, notRun.length]).toEqual([1, 1, 1])
    const counts: Record<string, number> = { college_biology: 144, astronomy: 152, anatomy: 135 }
    expect(complete[0]!.total).toBe(counts[complete[0]!.subject])
    const cut = partial[0]!
    expect(cut.planned).toBe(counts[cut.subject])
    // How many answers came after the 250th is the machine's speed: held to what the run reported.
    expect(cut.total).toBeGreaterThanOrEqual(250 - complete[0]!.total)
    expect(cut.total).toBeLessThan(counts[cut.subject]!)
    expect(notRun[0]).toMatchObject({ total: 0, planned: counts[notRun[0]!.subject] })
    expect(run.results!.summary).toMatchObject({ questions: complete[0]!.total + cut.total, partialSubjects: [cut.subject], notRunSubjects: [notRun[0]!.subject] })
    expect(run.results!.records).toHaveLength(complete[0]!.total + cut.total)
    expect(run.output).toMatch(new RegExp(`${cut.subject} .* partial: ${cut.total} of ${cut.planned} asked`))
    expect(run.output).toMatch(new RegExp(`${notRun[0]!.subject} +not run`))
    expect(run.output).toContain(`Subjects   not run: ${notRun[0]!.subject} · partial: ${cut.subject}`)
    expect(run.output).toMatch(new RegExp(`Exit code 1: .*1 subject did not run \\(${notRun[0]!.subject}\\); 1 subject stopped part way \\(${cut.subject}\\)`))
    const page = await readFile(path.join(path.dirname(run.resultsPath), 'index.html'), 'utf8')
    expect(page).toContain(`partial: ${cut.total} of ${cut.planned} asked`)
    expect(page).toMatch(/<td class="note" data-status="not-run">not run<\/td>/)
    expect(page).toContain(`not run: ${notRun[0]!.subject} · partial: ${cut.subject}`)
  })
})

describe('data that is not what the run asks for', () => {
  // With MMLU_ALLOW_PARTIAL the same run goes through: the first test's good run.
  test('MMLU_LIMIT does not excuse an incomplete test split: the file is named, with the fix MMLU_ALLOW_PARTIAL', async () => {
    const run = await runVitest(['evals/astronomy'], { env: { ...INSTANT, MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_LIMIT: '4' } })
    expect(run.code).toBe(1)
    expect(run.output).toContain(`${path.join(FIXTURE_DATA_DIR, 'test', 'astronomy_test.csv')}: incomplete data: found 8 test questions for astronomy, expected 152`)
    expect(run.output).toContain('MMLU_ALLOW_PARTIAL=1')
  })

  test('a dev split shorter than the shots is a DatasetError naming the file and the fix, not a RangeError', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-short-dev-'))
    await cp(FIXTURE_DATA_DIR, dir, { recursive: true })
    const dev = path.join(dir, 'dev', 'astronomy_dev.csv')
    const lines = (await readFile(dev, 'utf8')).split('\n')
    await writeFile(dev, `${lines.slice(0, 4).join('\n')}\n`) // the header and 3 questions
    const run = await runVitest(['evals/astronomy'], { env: { ...INSTANT, ...FIXTURES, MMLU_DATA_DIR: dir } })
    expect(run.code).toBe(1)
    expect(run.output).toContain(`✗ ${dev}: 5-shot prompts need 5 dev questions, the file has 3. Fix: add dev questions to the file, or ask for fewer examples (MMLU_SHOTS=3).`)
    expect(run.output).not.toMatch(/RangeError|\n\s+at /)
  })
})

describe('headers and notes', () => {
  test.skipIf(!HAS_REAL_DATA)('the shots actually used are in the terminal, Markdown and page headers whenever a prompt had fewer', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-shots-'))
    const summary = path.join(dir, 'summary.md')
    // The headers are the harness's: an instant engine with a 512-token context (the embedded engine's shot dropping is e2e-core.test.ts's).
    const run = await runVitest(['evals/high_school_european_history'], {
      env: { MMLU_DATA_DIR: REAL_DATA_DIR, MMLU_ENGINE_MODULE: 'fixtures/engines/always-c-ctx512.ts', MMLU_LIMIT: '6', GITHUB_STEP_SUMMARY: summary },
    })
    const records = run.results!.records.filter((r) => r.outcome !== 'error')
    const reduced = records.filter((r) => r.shots < 5).length
    expect(reduced).toBeGreaterThan(0)
    const label = `5-shot (${reduced} question${reduced === 1 ? '' : 's'} with fewer, to fit the context)`
    expect(run.output).toContain(`scoring logprob · ${label}`)
    expect(await readFile(summary, 'utf8')).toContain(`logprob · ${label}`)
    expect(await readFile(path.join(path.dirname(run.resultsPath), 'index.html'), 'utf8')).toContain(label)
    expect(run.results!.summary.reducedShots).toBe(reduced)
  })

  test('a model that gives one letter: one note in the terminal and on the page, not an error', async () => {
    // The note is the summary's: the instant always-C engine answers as the fixed-C GGUF does.
    const run = await runVitest(['evals/business_ethics'], { env: { ...FIXTURES, MMLU_ENGINE_MODULE: 'fixtures/engines/always-c.ts' } })
    expect(run.code, run.output).toBe(0)
    expect(run.output).toContain('Note       all 8 answers are C: the model is not choosing between the options')
    const page = await readFile(path.join(path.dirname(run.resultsPath), 'index.html'), 'utf8')
    expect(page).toContain('<p class="note">Note: all 8 answers are C: the model is not choosing between the options</p>')
    expect(run.results!.summary.notes[0]).toBe('all 8 answers are C: the model is not choosing between the options')
  })
})

