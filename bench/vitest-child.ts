// Spawns a real `vitest run --project mmlu`, as a user would, with a clean
// environment (none of the caller's MMLU_* or Vitest settings leak in), and
// times it from spawn to exit. Each run gets an empty cache folder
// (XDG_CACHE_HOME), so it is a first run in the default configuration: every
// question is asked and written to the answer cache, none is replayed.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

const VITEST_CLI = path.resolve('node_modules/vitest/vitest.mjs')

export interface VitestChild {
  ms: number
  code: number | null
  output: string
  /** The same run as a shell command, for the report. */
  command: string
}

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VITEST') || k.startsWith('MMLU_') || k === 'TEST' || k === 'NODE_ENV') continue
    env[k] = v
  }
  // Every bench run asks every question: a previous run's cached answers would time nothing.
  return { ...env, MMLU_CACHE: 'off', ...extra, NO_COLOR: '1', FORCE_COLOR: '0' }
}

export async function spawnVitest(files: string[], env: Record<string, string>, timeoutMs: number): Promise<VitestChild> {
  const command = `${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')} npx vitest run --project mmlu ${files.join(' ')}`
  const cache = await mkdtemp(path.join(os.tmpdir(), 'mmlu-bench-cache-'))
  const t0 = performance.now()
  const child = spawn(process.execPath, [VITEST_CLI, 'run', '--project', 'mmlu', ...files], { env: childEnv({ ...env, XDG_CACHE_HOME: cache }), stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
  const ms = performance.now() - t0
  clearTimeout(timer)
  await rm(cache, { recursive: true, force: true })
  return { ms, code, output, command }
}
