// `npm run eval:models`, end to end: two fixture GGUFs (always-A, always-D)
// and an Ollama model (the loopback server, always B) on the first 5 questions
// of the real astronomy split, run one after the other, each kept in the run
// history (the GGUFs with their worker's peak memory, the server without),
// ranked at the end. The counts are the split's keys, read here from the CSV.
import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import type { Leaderboard } from '../src/analysis/leaderboard.js'
import { loadSubject } from '../src/dataset/load.js'
import type { ResultsFile } from '../src/run/results.js'
import { listRuns, RUN_RESULTS_FILE } from '../src/run/kept-runs.js'
import { HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { useLoopbackServer } from './helpers/loopback.js'
import { npmRun } from './helpers/npm-run.js'

const loop = useLoopbackServer({}, { answer: () => 'B', latencyMs: 0, slots: 4, fault: undefined, version: '0.12.11', openaiLogprobs: true, apiKey: undefined, letterForm: 'natural', letters: 'all' })

describe.skipIf(!HAS_REAL_DATA)('npm run eval:models', () => {
  test('three models in turn, each run kept (peak memory for the GGUFs, none for the server), then the leaderboard of the three', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-eval-models-'))
    const [a, d] = await Promise.all([fixtureModelPath('fixed-A'), fixtureModelPath('fixed-D')])
    const run = await npmRun('eval:models', [a, d, 'llama3.2:1b', '--subjects', 'astronomy'], {
      OLLAMA_HOST: loop.server.url,
      OLLAMA_MODELS: loop.emptyStore,
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
    expect(kept.map((r) => r.model).sort()).toEqual(['fixed-A.gguf', 'fixed-D.gguf', 'llama3.2:1b'])
    const results = await Promise.all(kept.map(async (r) => JSON.parse(await readFile(path.join(dir, 'runs', r.id, RUN_RESULTS_FILE), 'utf8')) as ResultsFile))
    for (const r of results) {
      const letter = { 'fixed-A.gguf': 'A', 'fixed-D.gguf': 'D', 'llama3.2:1b': 'B' }[r.config.model]!
      expect(r.summary.correct, r.config.model).toBe(keys(letter))
      // The embedded engine's worker: a real process's peak, above the 10 MiB any Node process holds; a server reports none.
      if (r.config.engine === 'ollama') expect(r.peakRssBytes).toBeUndefined()
      else expect(r.peakRssBytes).toBeGreaterThan(10 * 2 ** 20)
    }
    // In turn, as the runs themselves timed their questions: each run's first question starts after the previous run's last ended.
    const inOrder = [...results].sort((x, y) => x.records[0]!.startedAt - y.records[0]!.startedAt)
    expect(inOrder.map((r) => r.config.model)).toEqual(['fixed-A.gguf', 'fixed-D.gguf', 'llama3.2:1b'])
    for (let i = 1; i < inOrder.length; i++) expect(inOrder[i]!.records[0]!.startedAt).toBeGreaterThanOrEqual(Math.max(...inOrder[i - 1]!.records.map((q) => q.startedAt + q.latencyMs)))
    // The leaderboard of exactly these two runs, written beside MMLU_RESULTS.
    const board = JSON.parse(await readFile(path.join(dir, 'leaderboard.json'), 'utf8')) as Leaderboard
    expect(board.tables).toHaveLength(1)
    const rows = board.tables[0]!.rows
    expect([keys('A'), keys('B'), keys('D')]).toEqual([1, 0, 2])
    expect(rows.map((r) => [r.model, r.micro.accuracy, r.quantization, r.peakRssBytes === undefined])).toEqual([
      ['fixed-D.gguf', 2 / 5, undefined, false],
      ['fixed-A.gguf', 1 / 5, undefined, false],
      // The server's own quantization (Ollama's /api/show), and no memory.
      ['llama3.2:1b', 0, 'Q8_0', true],
    ])
    expect(run.output).toContain('== Leaderboard of these 3 runs')
    expect(run.output).toMatch(/peak memory/)
  }, 300_000)
})
