// `npm run eval:models`, end to end: two fixture GGUFs (always-A, always-D) on
// the first 5 questions of the real astronomy split, run one after the other,
// each kept in the run history with its worker's peak memory, ranked at the
// end. The counts are the split's keys, read here from the CSV.
import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import type { Leaderboard } from '../src/analysis/leaderboard.js'
import { loadSubject } from '../src/dataset/load.js'
import type { ResultsFile } from '../src/results.js'
import { listRuns, RUN_RESULTS_FILE } from '../src/run-history.js'
import { HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { npmRun } from './helpers/npm-run.js'

describe.skipIf(!HAS_REAL_DATA)('npm run eval:models', () => {
  test('two models in turn, each run kept with its peak memory, then the leaderboard of the two', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-eval-models-'))
    const [a, d] = await Promise.all([fixtureModelPath('fixed-A'), fixtureModelPath('fixed-D')])
    const run = await npmRun('eval:models', [a, d, '--subjects', 'astronomy'], {
      MMLU_DATA_DIR: REAL_DATA_DIR,
      MMLU_LIMIT: '5',
      MMLU_THREADS: '1',
      MMLU_CACHE: 'off',
      MMLU_RESULTS: path.join(dir, 'mmlu-results.json'),
      XDG_CACHE_HOME: path.join(dir, 'cache'),
    })
    expect(run.code, run.output).toBe(0)
    const { test: questions } = await loadSubject(REAL_DATA_DIR, 'astronomy')
    const keys = (l: string) => questions.slice(0, 5).filter((q) => q.answer === l).length
    const kept = await listRuns(path.join(dir, 'runs'))
    expect(kept.map((r) => r.model).sort()).toEqual(['fixed-A.gguf', 'fixed-D.gguf'])
    const results = await Promise.all(kept.map(async (r) => JSON.parse(await readFile(path.join(dir, 'runs', r.id, RUN_RESULTS_FILE), 'utf8')) as ResultsFile))
    for (const r of results) {
      expect(r.summary.correct).toBe(keys(r.config.model === 'fixed-A.gguf' ? 'A' : 'D'))
      // The embedded engine's worker: a real process's peak, above the 10 MiB any Node process holds.
      expect(r.peakRssBytes).toBeGreaterThan(10 * 2 ** 20)
    }
    // In turn, as the runs themselves timed their questions: B's first starts after A's last ended.
    const [first, second] = [...results].sort((x, y) => x.records[0]!.startedAt - y.records[0]!.startedAt) as [ResultsFile, ResultsFile]
    expect(first.config.model).toBe('fixed-A.gguf')
    expect(second.records[0]!.startedAt).toBeGreaterThanOrEqual(Math.max(...first.records.map((q) => q.startedAt + q.latencyMs)))
    // The leaderboard of exactly these two runs, written beside MMLU_RESULTS.
    const board = JSON.parse(await readFile(path.join(dir, 'leaderboard.json'), 'utf8')) as Leaderboard
    expect(board.tables).toHaveLength(1)
    const rows = board.tables[0]!.rows
    expect([keys('A'), keys('D')]).toEqual([1, 2])
    expect(rows.map((r) => [r.model, r.micro.accuracy])).toEqual([
      ['fixed-D.gguf', 2 / 5],
      ['fixed-A.gguf', 1 / 5],
    ])
    expect(rows.every((r) => typeof r.peakRssBytes === 'number')).toBe(true)
    expect(run.output).toContain('== Leaderboard of these 2 runs')
    expect(run.output).toMatch(/peak memory/)
  }, 300_000)
})
