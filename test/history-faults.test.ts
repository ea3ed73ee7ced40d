// The run history under concurrency and a full disk (issue 25, item 8). File
// writes go through a hook (node:fs/promises mocked below) so the interleaving
// and the failure are decided by the test, not by a race or a real full disk.
import { mkdir, mkdtemp, readdir, readFile, utimes, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { analyzeRun } from '../src/analysis/run.js'
import type { ResultsFile } from '../src/run/results.js'
import { writeResults } from '../src/run/results.js'
import { listRuns, pruneRuns } from '../src/run/kept-runs.js'
import { writeRunPages } from '../reporters/run-pages.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { answerAll, fixedLetter, loadWithInputs, resultsOf } from './helpers/fixed-answers.js'

const hooks = vi.hoisted(() => ({
  beforeRename: undefined as ((from: string, to: string) => Promise<void> | void) | undefined,
  beforeWrite: undefined as ((file: string) => Promise<void> | void) | undefined,
}))

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>()
  const rename: typeof fs.rename = async (from, to) => {
    await hooks.beforeRename?.(String(from), String(to))
    return fs.rename(from, to)
  }
  const writeFile: typeof fs.writeFile = async (file, data, options) => {
    await hooks.beforeWrite?.(String(file))
    return fs.writeFile(file, data, options)
  }
  // The history's results file is a copy of the one written: a write of its destination too.
  const copyFile: typeof fs.copyFile = async (from, to, mode) => {
    await hooks.beforeWrite?.(String(to))
    return fs.copyFile(from, to, mode)
  }
  return { ...fs, default: { ...fs, rename, writeFile, copyFile }, rename, writeFile, copyFile }
})

afterEach(() => {
  hooks.beforeRename = undefined
  hooks.beforeWrite = undefined
})

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

/** Every file under `dir`, as paths relative to it. */
async function allFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
}

/** A disk that fills up while writing `file`: the file is created, empty, and the write fails. */
async function fullDisk(file: string): Promise<never> {
  const real = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')
  await real.writeFile(file, '')
  throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC' })
}

describe('three runs finishing at once', () => {
  test('a run whose index was listed before the others were kept, and written after them: the index still lists all three', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-history-race-'))
    const resultsFile = path.join(dir, 'mmlu-results.json')
    const index = path.join(dir, 'runs', 'index.html')
    // The first run's index write is held back until the other two have finished.
    let held: (() => void) | undefined
    let reached!: () => void
    const atRename = new Promise<void>((r) => (reached = r))
    hooks.beforeRename = (_from, to) => {
      if (to !== index || held !== undefined) return
      reached()
      return new Promise<void>((r) => (held = r))
    }
    const first = writeAndKeep(resultsFile, await fixtureRun('A', '2026-03-01T10:00:00.000Z'), { keepRuns: undefined, keep: true })
    await atRename
    await writeAndKeep(resultsFile, await fixtureRun('D', '2026-03-01T10:00:00.000Z'), { keepRuns: undefined, keep: true })
    await writeAndKeep(resultsFile, await fixtureRun('A', '2026-03-01T10:00:00.000Z'), { keepRuns: undefined, keep: true })
    held!()
    expect((await first).join('\n')).not.toContain('not kept')
    const ids = (await listRuns(path.join(dir, 'runs'))).map((r) => r.id)
    expect(ids.sort()).toEqual(['20260301-100000-fixed-A.gguf', '20260301-100000-fixed-A.gguf-2', '20260301-100000-fixed-D.gguf'])
    const html = await readFile(index, 'utf8')
    for (const id of ids) expect(html).toContain(`<tr id="${id}">`)
    expect((await allFiles(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  test('three writers of the same second in one process: each is kept, all three are in the index, no temp file is left', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-history-three-'))
    const runs = await Promise.all((['A', 'D', 'A'] as const).map((l) => fixtureRun(l, '2026-03-02T10:00:00.000Z')))
    // Three results files in one folder: one runs/ folder, one index.
    const lines = await Promise.all(runs.map((r, i) => writeAndKeep(path.join(dir, `run-${i}.json`), r, { keepRuns: undefined, keep: true })))
    for (const l of lines) expect(l.join('\n')).not.toContain('not kept')
    const ids = (await listRuns(path.join(dir, 'runs'))).map((r) => r.id)
    expect(ids).toHaveLength(3)
    const html = await readFile(path.join(dir, 'runs', 'index.html'), 'utf8')
    for (const id of ids) expect(html).toContain(`<tr id="${id}">`)
    expect((await allFiles(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
})

describe('a full disk', () => {
  for (const [what, matches] of [
    ['its headline (run.json)', (f: string) => path.basename(f).startsWith('run.json')],
    ["its results' temp file", (f: string) => f.includes(`${path.sep}runs${path.sep}`) && path.basename(f).startsWith('mmlu-results.json')],
    ['the runs index', (f: string) => path.basename(path.dirname(f)) === 'runs' && path.basename(f).startsWith('index.html')],
  ] as const) {
    test(`the disk fills while writing ${what}: one line says why; no temp file is left, nor a run folder without its headline`, async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-history-full-'))
      const resultsFile = path.join(dir, 'mmlu-results.json')
      hooks.beforeWrite = (file) => (matches(file) ? fullDisk(file) : undefined)
      const lines = await writeAndKeep(resultsFile, await fixtureRun('A', '2026-03-03T10:00:00.000Z'), { keepRuns: undefined, keep: true })
      expect(lines.join('\n')).toContain('ENOSPC')
      const files = await allFiles(dir)
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([])
      // Nothing half-kept: either no run folder, or one with its headline.
      const folders = (await readdir(path.join(dir, 'runs'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)
      for (const f of folders) expect(JSON.parse(await readFile(path.join(dir, 'runs', f, 'run.json'), 'utf8'))).toMatchObject({ id: f })
      if (what !== 'the runs index') expect(folders).toEqual([])
    })
  }

  test('pruning removes what an earlier failure left: temp files, a run folder with an empty or no run.json (once it is stale); never a run in progress or a folder that is not ours', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-history-leftovers-'))
    const resultsFile = path.join(dir, 'mmlu-results.json')
    await writeAndKeep(resultsFile, await fixtureRun('A', '2026-03-04T10:00:00.000Z'), { keepRuns: undefined, keep: true })
    const runs = path.join(dir, 'runs')
    const old = new Date(Date.now() - 3 * 3600_000)
    await mkdir(path.join(runs, '20260304-090000-empty'))
    await writeFile(path.join(runs, '20260304-090000-empty', 'run.json'), '')
    await writeFile(path.join(runs, '20260304-090000-empty', 'mmlu-results.json.123.tmp'), '{"part')
    await mkdir(path.join(runs, '20260304-080000-no-headline'))
    await writeFile(path.join(runs, '20260304-080000-no-headline', 'mmlu-results.json'), '{}')
    await utimes(path.join(runs, '20260304-080000-no-headline'), old, old)
    await writeFile(path.join(runs, 'index.html.123.tmp'), '<html')
    await utimes(path.join(runs, 'index.html.123.tmp'), old, old)
    // Another run being kept right now: its folder has no headline yet.
    await mkdir(path.join(runs, '20260304-110000-in-progress'))
    await mkdir(path.join(runs, 'notes'))
    await writeFile(path.join(runs, 'notes', 'run.json'), 'mine, not a run')
    expect(await pruneRuns(runs, 5)).toEqual([])
    expect((await readdir(runs)).sort()).toEqual(['20260304-100000-fixed-A.gguf', '20260304-110000-in-progress', 'index.html', 'notes'])
  })
})
