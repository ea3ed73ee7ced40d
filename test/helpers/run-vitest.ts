// Spawns a real `vitest run` on the mmlu project, as a user would, and
// returns its exit code, its terminal output and the results file it wrote.
import { spawn } from 'node:child_process'
import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { ResultsFile } from '../../src/results.js'

const VITEST_CLI = path.resolve('node_modules/vitest/vitest.mjs')

export interface VitestRun {
  code: number | null
  signal: NodeJS.Signals | null
  output: string
  results: ResultsFile | undefined
  resultsPath: string
}

export interface RunOptions {
  env?: Record<string, string | undefined>
  args?: string[]
  timeoutMs?: number
  /** Send SIGINT to the run this long after it starts, as Ctrl-C would. */
  interruptAfterMs?: number
}

/** The child must not inherit this Vitest's worker state, nor a developer's MMLU_* settings. */
function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VITEST') || k.startsWith('MMLU_') || k === 'TEST' || k === 'NODE_ENV') continue
    env[k] = v
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v
  env.NO_COLOR = '1'
  env.FORCE_COLOR = '0'
  return env
}

export async function runVitest(files: string[], opts: RunOptions = {}): Promise<VitestRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-run-'))
  const resultsPath = path.join(dir, 'results.json')
  const env = cleanEnv({ MMLU_RESULTS: resultsPath, ...opts.env })
  const child = spawn(process.execPath, [VITEST_CLI, 'run', '--project', 'mmlu', ...(opts.args ?? []), ...files], {
    cwd: path.resolve('.'),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000)
  const interrupt = opts.interruptAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGINT'), opts.interruptAfterMs)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])))
  clearTimeout(timer)
  clearTimeout(interrupt)
  const results = await readFile(resultsPath, 'utf8').then(
    (t) => JSON.parse(t) as ResultsFile,
    () => undefined,
  )
  return { code, signal, output, results, resultsPath }
}
