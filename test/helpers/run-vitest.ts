// Spawns a real `vitest run` on the mmlu project, as a user would, and
// returns its exit code, its terminal output and the results file it wrote.
import { spawn } from 'node:child_process'
import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { ResultsFile } from '../../src/run/results.js'

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
  /** Send SIGINT to the run's process group (Vitest and its workers) this long after it starts, as Ctrl-C does. */
  interruptAfterMs?: number
  /** The same, as soon as the output matches (e.g. a progress line): deterministic where a delay is not. */
  interruptWhen?: RegExp
  /** The signal those send: SIGINT (Ctrl-C, the default) or SIGTERM (a CI runner or `kill`). */
  interruptSignal?: 'SIGINT' | 'SIGTERM'
  /** Calls `then` once, as soon as the output matches `when`: a point the run itself reported (e.g. a progress line). */
  onOutput?: { when: RegExp; then: () => void }
}

/**
 * The child must not inherit this Vitest's worker state, nor a developer's MMLU_* settings,
 * from the environment or from a .env.local in the project root (MMLU_ENV_FILES=off; a test may set it on).
 * It runs llama.cpp on one thread unless the test sets MMLU_THREADS: the fixture models are
 * tiny, and on a shared 2-core machine two threads spin at llama.cpp's barriers. Measured on
 * the real astronomy split with fixed-C under load: 9 s wall and 5 s CPU on one thread against
 * 21-31 s and 12-14 s on two. The default threads (cores ÷ workers) are tested by the profiles.
 */
export function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { MMLU_THREADS: '1', MMLU_ENV_FILES: 'off' }
  for (const [k, v] of Object.entries(process.env)) {
    // GITHUB_*: a spawned run on a CI host must not append to the job's real summary.
    if (k.startsWith('VITEST') || k.startsWith('MMLU_') || k.startsWith('GITHUB_') || k === 'TEST' || k === 'NODE_ENV') continue
    env[k] = v
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v
  env.NO_COLOR = '1'
  env.FORCE_COLOR = '0'
  return env
}

export async function runVitest(files: string[], opts: RunOptions = {}): Promise<VitestRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-run-'))
  // A caller may place the results (and the summary page beside them) itself through MMLU_RESULTS.
  const resultsPath = opts.env?.MMLU_RESULTS ?? path.join(dir, 'results.json')
  // Each run gets its own cache (answers, downloads) unless the test shares one on purpose.
  const env = cleanEnv({ XDG_CACHE_HOME: path.join(dir, 'cache'), ...opts.env, MMLU_RESULTS: resultsPath })
  const child = spawn(process.execPath, [VITEST_CLI, 'run', '--project', 'mmlu', ...(opts.args ?? []), ...files], {
    cwd: path.resolve('.'),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so an interrupt reaches the workers too, as a terminal's Ctrl-C does.
    detached: opts.interruptAfterMs !== undefined || opts.interruptWhen !== undefined,
  })
  let output = ''
  let interrupted = false
  let called = false
  const onData = (d: Buffer) => {
    output += d.toString()
    if (opts.interruptWhen && !interrupted && opts.interruptWhen.test(output)) {
      interrupted = true
      process.kill(-child.pid!, opts.interruptSignal ?? 'SIGINT')
    }
    if (opts.onOutput && !called && opts.onOutput.when.test(output)) {
      called = true
      opts.onOutput.then()
    }
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000)
  const interrupt = opts.interruptAfterMs === undefined ? undefined : setTimeout(() => process.kill(-child.pid!, opts.interruptSignal ?? 'SIGINT'), opts.interruptAfterMs)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])))
  clearTimeout(timer)
  clearTimeout(interrupt)
  // Vitest's workers write to pipes of their own: one can outlive the main process by a
  // question, and append it to the answer cache after `close`. What is on disk is final
  // only once the whole process group is gone.
  if (interrupted || opts.interruptAfterMs !== undefined) await groupGone(child.pid!)
  const results = await readFile(resultsPath, 'utf8').then(
    (t) => JSON.parse(t) as ResultsFile,
    () => undefined,
  )
  return { code, signal, output, results, resultsPath }
}

/** Resolves once no process of the group is left (SIGKILL after 30 s). */
async function groupGone(pgid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pgid, 0)
      return true
    } catch {
      return false
    }
  }
  for (let waited = 0; alive(); waited += 20) {
    if (waited === 30_000) process.kill(-pgid, 'SIGKILL')
    await new Promise((r) => setTimeout(r, 20))
  }
}

export interface VitestUi {
  /** `http://127.0.0.1:<port>/__vitest__/` */
  url: string
  output(): string
  /** Stops the whole process group (Vitest and its workers) and waits for it to exit. */
  stop(): Promise<void>
}

export interface UiOptions {
  env?: Record<string, string | undefined>
  /** The API port that serves the UI: pick a free one so parallel runs do not collide. */
  port: number
  /** Hard limit on the process's life, enforced by coreutils `timeout`, so it ends even if this process dies first. */
  maxLifeS?: number
  startTimeoutMs?: number
}

/**
 * Starts `vitest --ui --open=false --watch` on the mmlu project, as `npm run ui`
 * does, and resolves once the UI is served. Without a TTY, `--watch` keeps it
 * running; it is in its own process group so stop() ends it and its workers.
 */
export async function startVitestUi(files: string[], opts: UiOptions): Promise<VitestUi> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-ui-'))
  const env = cleanEnv({ XDG_CACHE_HOME: path.join(dir, 'cache'), MMLU_RESULTS: path.join(dir, 'results.json'), ...opts.env })
  const args = [`--kill-after=5`, String(opts.maxLifeS ?? 300), process.execPath, VITEST_CLI, '--project', 'mmlu', '--ui', '--open=false', '--watch', `--api.port=${opts.port}`, '--api.strictPort', ...files]
  const child = spawn('timeout', args, { cwd: path.resolve('.'), env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()))
  let alive = true
  void exited.then(() => (alive = false))
  const stop = async () => {
    if (!alive) return
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal)
      } catch {
        // already gone
      }
    }
    group('SIGTERM')
    const killer = setTimeout(() => group('SIGKILL'), 5_000)
    await exited
    clearTimeout(killer)
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`vitest --ui did not start within ${opts.startTimeoutMs ?? 60_000} ms:\n${output}`))
    }, opts.startTimeoutMs ?? 60_000)
    const onData = (d: Buffer) => {
      output += d.toString()
      if (/UI started at/.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`vitest --ui exited before serving the UI:\n${output}`))
    })
  })
  return { url: `http://127.0.0.1:${opts.port}/__vitest__/`, output: () => output, stop }
}

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net')
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
