// The run history (src/run/kept-runs.ts, reporters/run-pages.ts): a folder per run
// that is never written again, an index with headline figures and the compare
// command for runs of the same inputs, and pruning that deletes only runs.
// End to end: a real run of a fixed-answer model is kept beside an earlier
// one, then `npm run compare` on the two folders and `npm run runs -- --keep 1`.
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import { analyzeRun } from '../src/analysis/run.js'
import type { ResultsFile } from '../src/run/results.js'
import { writeResults, writeResultsSync } from '../src/run/results.js'
import type { RunHeadline } from '../src/run/kept-runs.js'
import { createRunFolder, headlineOf, inputsKey, listRuns, pruneRuns, runId } from '../src/run/kept-runs.js'
import { renderRunsIndex } from '../reporters/render/runs-index.js'
import { keepInterruptedRun, writeRunPages } from '../reporters/run-pages.js'
import { shownPath } from '../src/run/shown-path.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { answerAll, fixedLetter, loadWithInputs, resultsOf } from './helpers/fixed-answers.js'
import { runVitest } from './helpers/run-vitest.js'
import { main as compareMain } from '../scripts/compare.js'
import { main as runsMain } from '../scripts/runs.js'

/** As the reporter does it: the results file is written, then the pages and the history copy. */
async function writeAndKeep(resultsFile: string, results: ResultsFile, opts: Parameters<typeof writeRunPages>[2]): Promise<string[]> {
  await writeResults(resultsFile, results)
  return writeRunPages(resultsFile, results, opts)
}

async function fixtureRun(letter: 'A' | 'D', createdAt: string): Promise<ResultsFile> {
  const astronomy = await loadWithInputs(FIXTURE_DATA_DIR, 'astronomy')
  const records = answerAll(astronomy.test, fixedLetter(letter))
  return { ...resultsOf(`fixed-${letter}.gguf`, [astronomy], records, FIXTURE_DATA_DIR, { createdAt }), analysis: analyzeRun(records) }
}

describe('run folders', () => {
  test('named by time and model, sortable and safe; a second run of the same second gets -2', async () => {
    expect(runId('2026-01-30T03:35:12.345Z', '/models/Llama 3.2:1b Q4_K_M.gguf')).toBe('20260130-033512-Llama_3.2_1b_Q4_K_M.gguf')
    expect(runId('2026-01-30T03:35:12Z', 'llama3.2:1b')).toBe('20260130-033512-llama3.2_1b')
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-runs-'))
    const first = await createRunFolder(dir, 'x')
    const second = await createRunFolder(dir, 'x')
    expect([first.id, second.id]).toEqual(['x', 'x-2'])
  })

  test('the reporter keeps a run: JSON, page, headline; the summary page links the history; old runs are left as they were', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-history-'))
    const resultsFile = path.join(dir, 'mmlu-results.json')
    const a = await fixtureRun('A', '2026-01-01T10:00:00.000Z')
    const lines = await writeAndKeep(resultsFile, a, { keepRuns: undefined, keep: true })
    const runs = path.join(dir, 'runs')
    const id = '20260101-100000-fixed-A.gguf'
    expect(lines[0]).toBe(`Summary    ${path.join(dir, 'index.html')}`)
    expect(lines[1]).toBe(`History    ${shownPath(runs)}/${id}/ · 1 run kept, listed in ${shownPath(runs)}/index.html`)
    expect((await readdir(path.join(runs, id))).sort()).toEqual(['index.html', 'mmlu-results.json', 'run.json'])
    expect(JSON.parse(await readFile(path.join(runs, id, 'mmlu-results.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(a)))
    const headline = JSON.parse(await readFile(path.join(runs, id, 'run.json'), 'utf8')) as RunHeadline
    // Always-A on the fixture astronomy split (keys C A B D C A B D): 2 of 8, every answer A at 0.999.
    const inputs = a.config.inputs!.astronomy!
    expect(headline).toEqual({
      id,
      createdAt: '2026-01-01T10:00:00.000Z',
      status: 'passed',
      model: 'fixed-A.gguf',
      engine: 'llama.cpp',
      scoring: 'logprob',
      shots: 0,
      subjects: 1,
      questions: 8,
      correct: 2,
      invalid: 0,
      errors: 0,
      accuracy: 0.25,
      // Wilson's 95% interval for 2 of 8, worked out by hand to 4 places.
      ci95: { low: expect.closeTo(0.07148, 4), high: expect.closeTo(0.59072, 4) },
      macroAccuracy: 0.25,
      // 8 timed answers over the helper's 1 s of wall time.
      questionsPerSecond: 8,
      // Confidence 0.999 / (0.999 + 3e-9) ≈ 1 on every answer, right on a quarter of them.
      ece: expect.closeTo(0.75, 6),
      // 6 wrong answers all A: exact p = 1/729, above 0.001, so no strong bias to show.
      bias: undefined,
      inputsKey: `sha256:${createHash('sha256').update(JSON.stringify([['astronomy', 0, inputs.promptHash, inputs.dataFingerprint]])).digest('hex')}`,
    })
    const latest = await readFile(path.join(dir, 'index.html'), 'utf8')
    expect(latest).toContain(`<a href="runs/index.html">all runs</a> · <a href="runs/${id}/index.html">this run's copy</a>`)
    expect(await readFile(path.join(runs, id, 'index.html'), 'utf8')).toContain('<a href="../index.html">all runs</a>')

    const before = await stat(path.join(runs, id, 'mmlu-results.json'))
    const d = await fixtureRun('D', '2026-01-01T11:00:00.000Z')
    const more = await writeAndKeep(resultsFile, d, { keepRuns: undefined, keep: true })
    expect(more[2]).toBe(`           vs the previous run of the same inputs: npm run compare -- ${shownPath(runs)}/${id} ${shownPath(runs)}/20260101-110000-fixed-D.gguf`)
    expect((await stat(path.join(runs, id, 'mmlu-results.json'))).mtimeMs).toBe(before.mtimeMs)
    expect((await listRuns(runs)).map((r) => r.id)).toEqual(['20260101-110000-fixed-D.gguf', id])

    // Nothing answered (every question an error), a shard, or MMLU_KEEP_RUNS=0: not kept.
    const errors = { ...a, records: a.records.map((r) => ({ ...r, outcome: 'error' as const, given: null })) }
    expect(await writeAndKeep(resultsFile, errors, { keepRuns: undefined, keep: true })).toHaveLength(1)
    expect(await writeAndKeep(resultsFile, a, { keepRuns: undefined, keep: false })).toHaveLength(1)
    expect(await listRuns(runs)).toHaveLength(2)
    // Issue 25 bug 4: MMLU_KEEP_RUNS=0 keeps none, as `npm run runs -- --keep 0` does: this run is not kept, the kept ones go.
    expect(await writeAndKeep(resultsFile, a, { keepRuns: 0, keep: true })).toEqual([expect.stringMatching(/^Summary /), `History    not kept (MMLU_KEEP_RUNS=0); 2 earlier runs deleted from ${shownPath(runs)}/`])
    expect(await listRuns(runs)).toHaveLength(0)
  })

  test('pruning deletes the oldest runs and nothing that is not a run', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-prune-'))
    for (const [i, letter] of (['A', 'D', 'A'] as const).entries()) {
      await writeAndKeep(path.join(dir, 'mmlu-results.json'), await fixtureRun(letter, `2026-01-0${i + 1}T00:00:00.000Z`), { keepRuns: undefined, keep: true })
    }
    await mkdir(path.join(dir, 'runs', 'notes'))
    await writeFile(path.join(dir, 'runs', 'notes', 'keep-me.txt'), 'mine')
    expect(await pruneRuns(path.join(dir, 'runs'), 1)).toEqual(['20260102-000000-fixed-D.gguf', '20260101-000000-fixed-A.gguf'])
    expect((await readdir(path.join(dir, 'runs'))).sort()).toEqual(['20260103-000000-fixed-A.gguf', 'index.html', 'notes'])
  })

  test('an interrupted run is kept by the synchronous path, and MMLU_KEEP_RUNS=N leaves N runs, itself the newest', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-prune-interrupted-'))
    const resultsFile = path.join(dir, 'mmlu-results.json')
    for (const [i, letter] of (['A', 'D', 'A'] as const).entries()) {
      await writeAndKeep(resultsFile, await fixtureRun(letter, `2026-01-0${i + 1}T00:00:00.000Z`), { keepRuns: undefined, keep: true })
    }
    const cut = { ...(await fixtureRun('D', '2026-01-04T00:00:00.000Z')), status: 'interrupted' as const }
    // As the reporter's exit path does: the results file first, then the history's copy of it.
    writeResultsSync(resultsFile, cut)
    const lines = keepInterruptedRun(resultsFile, cut, 2)
    expect(lines.join('\n')).toContain('· 2 runs kept, listed in')
    expect(lines.join('\n')).toContain('· 2 older deleted (MMLU_KEEP_RUNS=2)')
    expect((await readdir(path.join(dir, 'runs'))).sort()).toEqual(['20260103-000000-fixed-A.gguf', '20260104-000000-fixed-D.gguf', 'index.html'])
    expect(JSON.parse(await readFile(path.join(dir, 'runs', '20260104-000000-fixed-D.gguf', 'run.json'), 'utf8'))).toMatchObject({ status: 'interrupted', correct: 2, page: false })
    expect(await readFile(path.join(dir, 'runs', '20260104-000000-fixed-D.gguf', 'mmlu-results.json'))).toEqual(await readFile(resultsFile))
  })
})

describe('runs index', () => {
  test('headline figures, links, and the compare command for the previous run of the same inputs', async () => {
    const a = await fixtureRun('A', '2026-01-01T10:00:00.000Z')
    const d = await fixtureRun('D', '2026-01-01T11:00:00.000Z')
    const other = { ...d, config: { ...d.config, inputs: { astronomy: { ...d.config.inputs!.astronomy!, shots: 5 } } } }
    expect(inputsKey(a)).toBe(inputsKey(d))
    expect(inputsKey(other)).not.toBe(inputsKey(a))
    // A strong bias as the headline holds it, and one kept before issue 21 (letters given against the keys).
    const runs = [headlineOf(other, 'r3'), { ...headlineOf(d, 'r2'), bias: { letter: 'D', wrongShare: 1, expectedShare: 1 / 3 } }, { ...headlineOf(a, 'r1'), bias: { letter: 'A', givenShare: 1, keyShare: 0.25 } }]
    const html = renderRunsIndex(runs, 'reports/runs')
    const row = (id: string) => new RegExp(`<tr id="${id}">.*?</tr>`).exec(html)![0]
    expect(row('r2')).toContain('<td class="model">fixed-D.gguf</td>')
    expect(row('r2')).toContain('<td>llama.cpp · logprob · 0-shot</td>')
    expect(row('r2')).toContain('<b>25.0%</b></td><td>[7.1, 59.1]</td>')
    expect(row('r2')).toContain('<a href="r2/index.html">page</a> · <a href="r2/mmlu-results.json">JSON</a>')
    expect(row('r2')).toContain('<code>npm run compare -- reports/runs/r1 reports/runs/r2</code>')
    expect(row('r2')).toContain('wrong answers D 100% (33% expected)')
    expect(row('r1')).toContain('gives A 100% (key 25%)')
    // Different inputs (shots): a group of its own, nothing to compare with.
    expect(row('r3')).toMatch(/<td title="sha256:\w+">#1<\/td>/)
    expect(row('r2')).toMatch(/<td title="sha256:\w+">#2<\/td>/)
    expect(row('r3')).toContain('<td class="command">–</td>')
  })
})

/** A script's main, in-process: its exit code and everything it printed. */
async function command(main: (argv: string[], print: (l: string) => void, printError: (l: string) => void) => Promise<number>, argv: string[]) {
  const lines: string[] = []
  const code = await main(argv, (l) => lines.push(l), (l) => lines.push(l))
  return { code, output: lines.join('\n') }
}

describe('end to end', () => {
  test('a real run is kept; compared by folder with the run before it; pruned to one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-history-e2e-'))
    const resultsFile = path.join(dir, 'mmlu-results.json')
    // The run before: always-D, kept as the reporter keeps it (fixed probabilities, in-process).
    await writeAndKeep(resultsFile, await fixtureRun('D', '2026-01-01T00:00:00.000Z'), { keepRuns: undefined, keep: true })
    const env = { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', MMLU_SHOTS: '0', MMLU_MODEL: await fixtureModelPath('fixed-A'), MMLU_RESULTS: resultsFile }
    const a = await runVitest(['evals/astronomy'], { env })
    expect(a.code, a.output).toBe(0)
    // Always-A on the fixture astronomy split (keys C A B D C A B D): its probabilities say 100%, it is right 25%.
    expect(a.results!.analysis!.calibration!.normalised.accuracy).toBe(0.25)
    expect(a.results!.analysis!.calibration!.normalised.ece).toBeCloseTo(0.75, 6)
    // A calibrated model this confident (p ≈ 1) would be right every time: its ECE is about 0.
    expect(a.output).toMatch(/^Calibration ECE 75\.0% \(normalised over the letters; raw 75\.0%\) · a calibrated model would show 0\.\d% \(95% ≤ 0\.\d%\) · Brier 1\.500 · mean confidence 100\.0% vs accuracy 25\.0% over 8 answers$/m)
    // 6 wrong answers all A: exact p = 1/729 > 0.001, not strong, so no letter line.
    expect(a.results!.analysis!.letterBias!.test.p).toBeCloseTo(1 / 729, 12)
    expect(a.output).not.toMatch(/^Letters/m)
    const runs = (await readdir(path.join(dir, 'runs'))).filter((n) => n !== 'index.html').sort()
    expect(runs).toHaveLength(2)
    expect(runs[0]).toBe('20260101-000000-fixed-D.gguf')
    expect(runs[1]).toMatch(/^\d{8}-\d{6}-fixed-A\.gguf$/)
    // The kept results are the file the reporter wrote, byte for byte.
    expect(await readFile(path.join(dir, 'runs', runs[1]!, 'mmlu-results.json'))).toEqual(await readFile(resultsFile))
    // Same data, prompts and shots: the reporter offers the comparison.
    expect(a.output).toContain(`vs the previous run of the same inputs: npm run compare -- ${shownPath(path.join(dir, 'runs'))}/${runs[0]} ${shownPath(path.join(dir, 'runs'))}/${runs[1]}`)

    const compared = await command(compareMain, [path.join(dir, 'runs', runs[0]!), path.join(dir, 'runs', runs[1]!), '--out', dir])
    expect(compared.code, compared.output).toBe(0)
    // The two D keys (#3, #7) flip right→wrong, the two A keys (#1, #5) wrong→right.
    expect(compared.output).toMatch(/^astronomy\s+8\s+25\.0% \[7\.1, 59\.1\]\s+25\.0% \[7\.1, 59\.1\]\s+\+0\.0\s+2\s+2\s+1\.00\s+1\.00\s+0\.0%$/m)
    expect(compared.output).toContain('wrong→right astronomy #1 · key A (Saturn) · fixed-D.gguf D (Venus) → fixed-A.gguf A · Which planet has the largest and brightest ring system?')
    expect(await readFile(path.join(dir, 'compare.md'), 'utf8')).toContain('## fixed-A.gguf vs fixed-D.gguf')
    expect(await readFile(path.join(dir, 'compare.html'), 'utf8')).toContain('id="chart-compare"')

    // `--keep "$KEEP"` with KEEP unset, and numbers Number() reads but no one means: errors, and nothing is deleted.
    for (const bad of ['', ' 1', '0x1', '1e0', '1.5']) {
      await expect(command(runsMain, ['--keep', bad, '--dir', path.join(dir, 'runs')])).rejects.toThrow(`--keep ${JSON.stringify(bad)} is not valid: expected a whole number of runs to keep (0 deletes them all)`)
    }
    expect((await readdir(path.join(dir, 'runs'))).filter((n) => n !== 'index.html')).toHaveLength(2)
    const pruned = await command(runsMain, ['--keep', '1', '--dir', path.join(dir, 'runs')])
    expect(pruned.code, pruned.output).toBe(0)
    expect(pruned.output).toContain(`deleted 1: ${runs[0]}`)
    expect((await readdir(path.join(dir, 'runs'))).sort()).toEqual([runs[1], 'index.html'])
  })
})
