// B7, scale: the whole harness on runs of every size, to a million questions.
// A topic of N synthetic four-option questions (written here, not MMLU's),
// and MMLU_TRIALS=10 over all 57 subjects, each through a spawned `vitest run`
// with the always-D engine, so every count is known in advance: a run passes
// only with all its answers, exactly N/4 of a topic's correct. Reported per
// run: wall, peak memory of Vitest's main process and of its worker, and the
// sizes of the results file and the summary page.
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import os from 'node:os'
import path from 'node:path'
import type { ResultsFile } from '../src/run/results.js'
import { parseResultsFile } from '../src/run/results-read.js'
import { maxOf } from '../src/base/extent.js'
import { SUBJECT_NAMES } from '../src/dataset/subjects.js'

export const SCALE_SIZES = [1_000, 10_000, 100_000, 1_000_000] as const
/** Where the generated topics live: bench/scale.config.ts adds them to the mmlu project. */
export const SCALE_DIR = '.cache/bench-scale'
const ALWAYS_D = 'fixtures/engines/always-d.ts'
const VITEST_CLI = path.resolve('node_modules/vitest/vitest.mjs')
const WORDS = ['river', 'stone', 'planet', 'market', 'engine', 'garden', 'signal', 'harbor', 'valley', 'lantern']

export interface ScaleRun {
  label: string
  command: string
  exitCode: number | null
  /** Questions asked (asks: a question × trial counts once per trial). */
  asks: number
  expectedAsks: number
  correct: number
  /** What the always-D engine must score: the D keys, counted from the data. */
  expectedCorrect: number
  /** Spawn to exit. */
  wallMs: number
  /** The reporter's run wall (first question to last). */
  runWallMs: number
  /** Highest VmHWM of Vitest's main process and of any of its workers, bytes. */
  mainPeakBytes: number
  workerPeakBytes: number
  resultsBytes: number
  pageBytes: number
}

export interface ScaleFigures {
  runs: ScaleRun[]
  /** Sizes not run, and why (the memory they would need is not there). */
  skipped: { label: string; why: string }[]
}

const keyOf = (i: number): string => 'ABCD'[i % 4]!

/** A topic of `n` questions of our own, its eval file beside it; returns its name. */
export async function writeScaleTopic(n: number, dir: string = SCALE_DIR): Promise<string> {
  const name = `scale_${n}`
  await mkdir(path.join(dir, name), { recursive: true })
  const out = createWriteStream(path.join(dir, name, 'test.csv'))
  let chunk = ''
  for (let i = 0; i < n; i++) {
    const w = (k: number): string => WORDS[(i * 7 + k * 3) % WORDS.length]!
    chunk += `Question ${i}: which word follows ${w(1)} and ${w(2)} in list ${i % 97}?,${w(3)} ${i % 11},${w(4)} ${i % 13},${w(5)} ${i % 17},${w(6)} ${i % 19},${keyOf(i)}\n`
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain')
      chunk = ''
    }
  }
  out.end(chunk)
  await once(out, 'finish')
  await writeFile(path.join(dir, `${name}.eval.ts`), `import { defineSubject } from '../../src/suite.js'\n\ndefineSubject({ name: '${name}', test: '${dir}/${name}/test.csv' })\n`)
  return name
}

/** Peak resident memory (VmHWM) of a process, bytes; 0 once it is gone. */
async function peakOf(pid: number): Promise<number> {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : 0
  } catch {
    return 0
  }
}

async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = []
  try {
    for (const task of await readdir(`/proc/${pid}/task`)) {
      const kids = (await readFile(`/proc/${pid}/task/${task}/children`, 'utf8')).trim()
      if (kids) for (const k of kids.split(/\s+/)) out.push(Number(k))
    }
  } catch {}
  return out
}

/** Spawns `vitest run` and samples the peak memory of its process and each descendant until it exits (Linux /proc). */
async function spawnMeasured(args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; ms: number; output: string; mainPeakBytes: number; workerPeakBytes: number }> {
  const clean: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MMLU_') && !k.startsWith('VITEST') && k !== 'NODE_ENV') clean[k] = v
  const t0 = performance.now()
  const child = spawn(process.execPath, [VITEST_CLI, ...args], { env: { ...clean, ...env, NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-20_000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  let mainPeakBytes = 0
  let workerPeakBytes = 0
  let done = false
  const sampling = (async () => {
    while (!done) {
      mainPeakBytes = Math.max(mainPeakBytes, await peakOf(child.pid!))
      const seen = new Set<number>()
      const queue = await childrenOf(child.pid!)
      while (queue.length) {
        const pid = queue.pop()!
        if (seen.has(pid)) continue
        seen.add(pid)
        workerPeakBytes = Math.max(workerPeakBytes, await peakOf(pid))
        for (const k of await childrenOf(pid)) queue.push(k)
      }
      await new Promise((r) => setTimeout(r, 200))
    }
  })()
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
  clearTimeout(timer)
  done = true
  await sampling
  return { code, ms: performance.now() - t0, output, mainPeakBytes, workerPeakBytes }
}

async function sizeOf(file: string): Promise<number> {
  return stat(file).then((s) => s.size, () => 0)
}

/** MemAvailable from /proc/meminfo, bytes (os.freemem() leaves out the page cache the kernel would give back). */
async function availableMemory(): Promise<number> {
  const m = /MemAvailable:\s+(\d+) kB/.exec(await readFile('/proc/meminfo', 'utf8').catch(() => ''))
  return m ? Number(m[1]) * 1024 : os.freemem()
}

/**
 * Node's default heap limit (about 4 GB) stops a run near 300,000 questions:
 * Vitest itself keeps about 5 KB per test in its worker. The runs get heaps
 * sized to the machine, as a user would with NODE_OPTIONS (docs/performance.md).
 */
async function heapOption(): Promise<string> {
  return `--max-old-space-size=${Math.floor((await availableMemory()) / 2 ** 20 / 2)}`
}

async function measure(label: string, vitestArgs: string[], env: Record<string, string>, expectedAsks: number, expectedCorrect: (r: ResultsFile) => number, dir: string): Promise<ScaleRun> {
  const results = path.join(dir, `${label.replace(/\W+/g, '-')}.json`)
  const cache = await mkdtemp(path.join(os.tmpdir(), 'mmlu-bench-cache-'))
  const runEnv = { NODE_OPTIONS: await heapOption(), MMLU_ENGINE_MODULE: ALWAYS_D, MMLU_CACHE: 'off', MMLU_KEEP_RUNS: '0', MMLU_RESULTS: results, ...env }
  const command = `${Object.entries(runEnv).map(([k, v]) => `${k}=${v}`).join(' ')} npx vitest ${vitestArgs.join(' ')}`
  process.stderr.write(`  ${label}: ${command}\n`)
  try {
    const run = await spawnMeasured(vitestArgs, { ...runEnv, XDG_CACHE_HOME: cache }, 90 * 60_000)
    if (run.code !== 0) throw new Error(`B7 ${label}: exited ${run.code}\n${run.output.slice(-4000)}`)
    const file = parseResultsFile(await readFile(results, 'utf8'), results)
    const asks = file.records.length
    const correct = file.summary.correct
    const figures: ScaleRun = {
      label,
      command,
      exitCode: run.code,
      asks,
      expectedAsks,
      correct,
      expectedCorrect: expectedCorrect(file),
      wallMs: run.ms,
      runWallMs: file.summary.wallMs,
      mainPeakBytes: run.mainPeakBytes,
      workerPeakBytes: run.workerPeakBytes,
      resultsBytes: await sizeOf(results),
      pageBytes: await sizeOf(path.join(path.dirname(results), 'index.html')),
    }
    if (asks !== expectedAsks || correct !== figures.expectedCorrect) {
      throw new Error(`B7 ${label}: ${correct}/${asks} where ${figures.expectedCorrect}/${expectedAsks} was due`)
    }
    return figures
  } finally {
    await rm(cache, { recursive: true, force: true })
  }
}

/** Each topic size in turn, then MMLU_TRIALS=10 over the 57 subjects (when the data is there). */
/** `chosen`: the sizes were asked for by name (--sizes), so none is skipped for the memory it may need. */
export async function measureScale(dataDir: string | undefined, sizes: readonly number[] = SCALE_SIZES, chosen = false): Promise<ScaleFigures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-bench-b7-'))
  const runs: ScaleRun[] = []
  const skipped: ScaleFigures['skipped'] = []
  try {
    for (const n of sizes) {
      // What the largest run so far held per ask, in both processes, scaled to this one (and a tenth more).
      const last = runs.at(-1)
      const need = last ? ((last.mainPeakBytes + last.workerPeakBytes) / last.asks) * n * 1.1 : 0
      const have = await availableMemory()
      if (need > have && !chosen) {
        const gb = (b: number): string => `${(b / 1e9).toFixed(1)} GB`
        skipped.push({ label: `topic ${n.toLocaleString('en-US')}`, why: `not run: needs about ${gb(need)} (${Math.round((last!.mainPeakBytes + last!.workerPeakBytes) / last!.asks).toLocaleString('en-US')} B an ask at ${last!.asks.toLocaleString('en-US')}); ${gb(have)} available` })
        continue
      }
      const name = await writeScaleTopic(n)
      const label = `topic ${n.toLocaleString('en-US')}`
      try {
        // Keys cycle A, B, C, D: the always-D engine answers every fourth question right.
        runs.push(await measure(label, ['run', '--config', 'bench/scale.config.ts', '--project', 'mmlu', `${SCALE_DIR}/${name}`], {}, n, () => Math.floor(n / 4), dir))
      } catch (e) {
        // A size that fails (out of memory, a count short) is reported with the others, not instead of them.
        skipped.push({ label, why: `FAILED: ${(e as Error).message.slice(0, 2000)}` })
      } finally {
        await rm(path.join(SCALE_DIR, name), { recursive: true, force: true })
        await rm(path.join(SCALE_DIR, `${name}.eval.ts`), { force: true })
      }
    }
    if (dataDir) {
      // Each ask draws its letter from the engine's probabilities (0.97 for D) with its own seed: the count
      // correct is checked against the records themselves, the asks against 10 × the data's questions.
      const trials = 10
      const env = { MMLU_DATA_DIR: dataDir, MMLU_TRIALS: String(trials), MMLU_TEMPERATURE: '1' }
      const probe = await import('../src/dataset/load.js')
      let questions = 0
      for (const s of SUBJECT_NAMES) questions += (await probe.loadSubject(dataDir, s)).test.length
      runs.push(await measure(`MMLU_TRIALS=${trials}, 57 subjects`, ['run', '--project', 'mmlu', 'evals'], env, trials * questions, (r) => r.records.filter((x) => x.outcome === 'correct').length, dir))
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  return { runs, skipped }
}

const mib = (b: number): string => `${Math.round(b / 2 ** 20)} MiB`
const secs = (ms: number): string => (ms >= 100_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`)

export function renderScale(f: ScaleFigures): string {
  const rows = [['run', 'asks', 'correct', 'wall', 'run wall', 'main peak', 'worker peak', 'worker B/ask', 'results', 'page']]
  for (const r of f.runs) {
    rows.push([
      r.label,
      r.asks.toLocaleString('en-US'),
      r.correct.toLocaleString('en-US'),
      secs(r.wallMs),
      secs(r.runWallMs),
      mib(r.mainPeakBytes),
      mib(r.workerPeakBytes),
      Math.round(r.workerPeakBytes / r.asks).toLocaleString('en-US'),
      mib(r.resultsBytes),
      mib(r.pageBytes),
    ])
  }
  const widths = rows[0]!.map((_, i) => maxOf(rows.map((r) => r[i]!.length)))
  const lines = rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
  const skipped = f.skipped.map((x) => `    ${x.label} ${x.why}`)
  return ['B7  Scale · always-D instant engine, cache off, every count checked (asks and correct as due)', ...lines, ...skipped].join('\n')
}
