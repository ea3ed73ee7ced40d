// The named profiles, as a user runs them: `npm run eval:sequential`,
// `eval:files` and `eval:concurrent`, with subject files passed through to
// Vitest. Each run is spawned through npm on the fixture subjects with an
// always-C model, and checked by what it did (its results file and header),
// not by how long it took.
import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import { physicalCores } from '../src/backends/cpu.js'
import type { ResultsFile } from '../src/run/results.js'
import { PROFILE_NAMES, PROFILES, scriptName } from '../src/study/profiles.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import type { NpmRun } from './helpers/npm-run.js'
import { npmRun as runScript } from './helpers/npm-run.js'

interface ProfileRun extends NpmRun {
  results: ResultsFile | undefined
  resultsPath: string
}

/** A profile's npm script on `files`, its results in a fresh folder. */
async function npmRun(script: string, files: string[], env: Record<string, string>): Promise<ProfileRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-profile-'))
  const resultsPath = path.join(dir, 'results.json')
  const run = await runScript(script, files, { MMLU_RESULTS: resultsPath, ...env }, 120_000)
  const results = await readFile(resultsPath, 'utf8').then(
    (t) => JSON.parse(t) as ResultsFile,
    () => undefined,
  )
  return { ...run, results, resultsPath }
}

const SUBJECTS = ['evals/astronomy', 'evals/business_ethics']
// The cache off: every run answers (and times) its questions itself.
const common = { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', MMLU_CACHE: 'off', MMLU_PROGRESS_MS: '0' }
/** The fixed-C GGUF on llama.cpp: for what the engine shows (its threads, the speedup's pairing). */
let env: Record<string, string>
/** The instant always-C engine: for what only Vitest's settings decide (workers, files, questions in flight). */
const instant = { ...common, MMLU_ENGINE_MODULE: 'fixtures/engines/always-c.ts' }
beforeAll(async () => {
  env = { ...common, MMLU_MODEL: await fixtureModelPath('fixed-C') }
})

test('package.json has one script per profile, exactly the profile as src/study/profiles.ts defines it', async () => {
  const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { scripts: Record<string, string> }
  for (const name of PROFILE_NAMES) expect(pkg.scripts[scriptName(name)], name).toBe(PROFILES[name].script)
  expect(PROFILES.files.script).toBe('MMLU_CACHE=${MMLU_CACHE:-off} MMLU_CONCURRENCY=1 vitest run --project mmlu --fileParallelism --maxWorkers=${VITEST_MAX_WORKERS:-2}')
  // Timing profiles time fresh answers unless the user turns the cache on (issue 13 item 10).
  for (const name of PROFILE_NAMES) expect(PROFILES[name].script, name).toMatch(/^MMLU_CACHE=\$\{MMLU_CACHE:-off\} /)
  expect(PROFILES.files.args(3)).toEqual(['--fileParallelism', '--maxWorkers=3'])
  expect(pkg.scripts.study).toBe('tsx scripts/study.ts')
})

describe('profiles through npm, with subject files passed through', () => {
  let sequential: ProfileRun

  test('eval:sequential: one file at a time, one question at a time, whatever MMLU_CONCURRENCY says', async () => {
    sequential = await npmRun('eval:sequential', SUBJECTS, { ...env, MMLU_CONCURRENCY: '8' })
    expect(sequential.code, sequential.output).toBe(0)
    expect(sequential.results!.config).toMatchObject({ concurrency: 1, vitest: { fileParallelism: false, maxWorkers: 1, workersUsed: 1 } })
    expect(sequential.results!.subjects.map((s) => [s.subject, s.correct, s.total])).toEqual([
      ['astronomy', 2, 8],
      ['business_ethics', 2, 8],
    ])
    // One file after the other: no question of one file ran while the other's did.
    const [a, b] = ['astronomy', 'business_ethics'].map((s) => sequential.results!.records.filter((r) => r.subject === s))
    const end = (rs: typeof a) => Math.max(...rs!.map((r) => r.startedAt + r.latencyMs))
    const start = (rs: typeof a) => Math.min(...rs!.map((r) => r.startedAt))
    expect(end(a) <= start(b) + 1 || end(b) <= start(a) + 1).toBe(true)
    expect(sequential.output).not.toContain('Parallel   ')
  })

  test('eval:files: two workers, and llama.cpp takes physical cores ÷ 2 threads in each; the reporter shows the parallel view and the speedup against the sequential run', async () => {
    const run = await npmRun('eval:files', SUBJECTS, { ...env, MMLU_SPEEDUP_BASELINE: sequential.resultsPath })
    expect(run.code, run.output).toBe(0)
    // npm echoes the script before the shell expands it, then the files passed through.
    expect(run.output).toContain('vitest run --project mmlu --fileParallelism --maxWorkers=${VITEST_MAX_WORKERS:-2} evals/astronomy evals/business_ethics')
    expect(run.results!.config).toMatchObject({ concurrency: 1, vitest: { fileParallelism: true, maxWorkers: 2, workersUsed: 2 } })
    // On this project's 2-core machine: threads 1 (two workers each taking both cores is the threads pitfall).
    const threads = Math.max(1, Math.floor(physicalCores() / 2))
    expect(run.output).toMatch(new RegExp(`engine llama\\.cpp \\(threads ${threads}, `))
    expect(run.results!.provenance.map((e) => e.details.threads)).toEqual([threads])
    expect(run.output).toMatch(/Parallel {3}2 workers · 1 question in flight per file · run wall .* · work .*\n {11}file +own wall +from +to +mean +p95 +q\/s +timeline/)
    expect(run.output).toMatch(/\n {11}astronomy +\S+ s|ms/)
    expect(run.output).toMatch(new RegExp(`Speedup {4}\\d+\\.\\d+× against the sequential baseline ${sequential.resultsPath.replace(/[.\\]/g, '\\$&')}: `))
    expect(run.output).toMatch(/Latency {4}\d+\.\d+× the baseline's: mean /)
  })

  test('eval:files: VITEST_MAX_WORKERS chooses the workers', async () => {
    const run = await npmRun('eval:files', SUBJECTS, { ...instant, VITEST_MAX_WORKERS: '3' })
    expect(run.code, run.output).toBe(0)
    expect(run.results!.config.vitest).toEqual({ fileParallelism: true, maxWorkers: 3, workersUsed: 2 })
  })

  test('eval:concurrent: four questions in flight per file by default, MMLU_CONCURRENCY otherwise, one file at a time', async () => {
    const four = await npmRun('eval:concurrent', ['evals/astronomy'], instant)
    expect(four.code, four.output).toBe(0)
    expect(four.results!.config).toMatchObject({ concurrency: 4, vitest: { fileParallelism: false, workersUsed: 1 } })
    expect(four.output).toContain('Parallel   1 worker · 4 questions in flight per file')
    const two = await npmRun('eval:concurrent', ['evals/astronomy'], { ...instant, MMLU_CONCURRENCY: '2' })
    expect(two.results!.config.concurrency).toBe(2)
  })

  test('a missing MMLU_SPEEDUP_BASELINE stops the run before any question, naming the file and the fix', async () => {
    const run = await npmRun('eval:sequential', ['evals/astronomy'], { ...instant, MMLU_SPEEDUP_BASELINE: 'no/such/seq.json' })
    expect(run.code).toBe(1)
    expect(run.output).toContain(`${path.resolve('no/such/seq.json')}: file not found. Fix: set MMLU_SPEEDUP_BASELINE to the results JSON of a sequential run`)
    expect(run.results).toBeUndefined()
  })
})
