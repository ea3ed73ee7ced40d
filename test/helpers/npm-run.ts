// Runs an npm script as a user would type it (`npm run <script> -- <args>`),
// in a clean environment: none of the MMLU_, VITEST or GITHUB_ variables of
// the surrounding test run reach it, only what the test passes, and no
// .env/.env.local of the project root (MMLU_ENV_FILES=off unless the test sets it).
import { spawn } from 'node:child_process'
import path from 'node:path'

export interface NpmRun {
  code: number | null
  output: string
}

export async function npmRun(script: string, args: string[], env: Record<string, string>, timeoutMs = 300_000): Promise<NpmRun> {
  const clean: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VITEST') || k.startsWith('MMLU_') || k.startsWith('GITHUB_') || k === 'TEST' || k === 'NODE_ENV') continue
    clean[k] = v
  }
  const child = spawn('npm', ['run', script, ...(args.length ? ['--', ...args] : [])], {
    cwd: path.resolve('.'),
    env: { ...clean, NO_COLOR: '1', FORCE_COLOR: '0', MMLU_ENV_FILES: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
  clearTimeout(timer)
  return { code, output }
}
