// B8, start-up: from spawning `vitest run` to the first question asked, against
// an empty Vitest project's first test on the same machine, the runs
// interleaved. The first question's moment is its record's startedAt in the
// results file; the empty project's test writes Date.now() to a file. Backends:
// the instant engine (MMLU_ENGINE_MODULE: no client library at all) and Ollama
// against the loopback server (the `ollama` client loads, node-llama-cpp must not).
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startModelServer } from '../fixtures/servers/model-server.js'
import type { ResultsFile } from '../src/run/results.js'

const VITEST_CLI = path.resolve('node_modules/vitest/vitest.mjs')
export const STARTUP_ROUNDS = 5

export interface StartupFigures {
  rounds: number
  /** Spawn to the first test's body, ms, one per round. */
  emptyMs: number[]
  /** Spawn to the first question asked, ms, per backend. */
  backends: { name: string; command: string; ms: number[] }[]
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MMLU_') && !k.startsWith('VITEST') && k !== 'NODE_ENV' && k !== 'OLLAMA_HOST') env[k] = v
  return { ...env, ...extra, NO_COLOR: '1', FORCE_COLOR: '0' }
}

/** Runs `vitest run …` in `cwd`; returns the wall-clock time it was spawned at. */
async function runVitest(cwd: string, args: string[], env: Record<string, string>): Promise<number> {
  const spawnedAt = Date.now()
  const child = spawn(process.execPath, [VITEST_CLI, 'run', ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)))
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  if (code !== 0) throw new Error(`B8: vitest run ${args.join(' ')} exited ${code}:\n${output}`)
  return spawnedAt
}

/** A project of one empty test, using this repository's Vitest. */
async function emptyProject(dir: string): Promise<string> {
  const root = path.join(dir, 'empty')
  await import('node:fs/promises').then((fs) => fs.mkdir(root, { recursive: true }))
  await symlink(path.resolve('node_modules'), path.join(root, 'node_modules'))
  await writeFile(path.join(root, 'vitest.config.mjs'), "export default { test: { include: ['first.test.mjs'] } }\n")
  await writeFile(path.join(root, 'first.test.mjs'), "import { writeFileSync } from 'node:fs'\nimport { test } from 'vitest'\n\ntest('first', () => writeFileSync(process.env.FIRST_AT, String(Date.now())))\n")
  return root
}

export async function measureStartup(dataDir: string, rounds = STARTUP_ROUNDS): Promise<StartupFigures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-bench-b8-'))
  const server = await startModelServer({ answer: () => 'B' })
  try {
    const empty = await emptyProject(dir)
    const results = path.join(dir, 'results.json')
    const common = { MMLU_DATA_DIR: dataDir, MMLU_LIMIT: '1', MMLU_CACHE: 'off', MMLU_KEEP_RUNS: '0', MMLU_RESULTS: results, XDG_CACHE_HOME: path.join(dir, 'cache') }
    const backends = [
      { name: 'instant engine', env: { ...common, MMLU_ENGINE_MODULE: 'bench/instant-engine.ts' } },
      { name: 'Ollama (loopback server)', env: { ...common, OLLAMA_HOST: `127.0.0.1:${server.port}` } },
    ]
    const args = ['--project', 'mmlu', 'evals/astronomy']
    const figures: StartupFigures = { rounds, emptyMs: [], backends: backends.map((b) => ({ name: b.name, command: `${Object.entries(b.env).filter(([k]) => k !== 'XDG_CACHE_HOME').map(([k, v]) => `${k}=${v}`).join(' ')} npx vitest run ${args.join(' ')}`, ms: [] })) }
    for (let round = 0; round < rounds; round++) {
      const firstAt = path.join(dir, 'first-at')
      const spawnedAt = await runVitest(empty, [], { FIRST_AT: firstAt })
      figures.emptyMs.push(Number(await readFile(firstAt, 'utf8')) - spawnedAt)
      for (const [i, b] of backends.entries()) {
        const at = await runVitest(process.cwd(), args, b.env)
        const file = JSON.parse(await readFile(results, 'utf8')) as ResultsFile
        const first = file.records[0]
        if (!first) throw new Error(`B8: ${b.name} asked nothing`)
        figures.backends[i]!.ms.push(first.startedAt - at)
      }
    }
    return figures
  } finally {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

export function renderStartup(f: StartupFigures): string {
  const empty = median(f.emptyMs)
  const rows = [`${"empty Vitest project, first test".padEnd(42)} median ${sec(empty)}   (${f.emptyMs.map(sec).join(', ')})`]
  for (const b of f.backends) {
    const m = median(b.ms)
    rows.push(`${`${b.name}, first question`.padEnd(42)} median ${sec(m)}   (${b.ms.map(sec).join(', ')})   ${m - empty >= 0 ? '+' : ''}${sec(m - empty)} over empty · goal ≤ +0.30 s: ${m - empty <= 300 ? 'met' : 'MISSED'}`)
  }
  return [`B8  Start-up · spawn to the first question (MMLU_LIMIT=1, evals/astronomy) vs an empty Vitest project's first test · ${f.rounds} interleaved rounds`, ...rows.map((r) => `    ${r}`)].join('\n')
}
