// `npm run bench`: B1–B5 (issues 7 and 4; docs/performance.md), each part in
// a process of its own (bench/parts.ts), and B6, the hot paths under
// `vitest bench` (bench/hot.ts). Prints the tables and writes
// reports/bench.json, rewritten after every part so a stopped run keeps what
// it measured. `npm run bench -- --only=B1,B3` runs some parts;
// `--only=B6 --accept` makes this run's hot-path figures the accepted ones.
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { physicalCores } from '../src/backends/cpu.js'
import { readOptions } from '../src/config/options.js'
import type { MemoryFigures, SetupFigures } from './engine.js'
import { B2_SETUPS, CONCURRENCY_MAX_TOKENS, CONCURRENCY_QUESTIONS, ENGINE_QUESTIONS, ENGINE_SUBJECT } from './engine.js'
import type { GrowthFigures } from './growth.js'
import type { HarnessFigures } from './harness.js'
import type { PartArgs } from './parts.js'
import type { BenchReport, ConcurrencyRow, PartTiming } from './report.js'
import { describeMachine } from './machine.js'
import { renderConcurrency, renderEngine, renderGrowth, renderHarness, renderHot, renderMachine, renderReport, renderTwin } from './report.js'
import type { TwinSpeedFigures } from './twin-speed.js'
import type { ScaleFigures } from './scale.js'
import { renderScale, SCALE_SIZES } from './scale.js'
import type { StartupFigures } from './startup.js'
import { renderStartup } from './startup.js'
import { wholeNumber } from '../src/base/strict-number.js'
import { maxOf } from '../src/base/extent.js'
import type { VitestBenchJson } from './hot.js'
import { ACCEPTED_FILE, compareHot, HOT_THRESHOLD, readAccepted, readHotFigures, runHotBenches, whyNotComparable, writeAccepted } from './hot.js'
import { mmluDir } from './hot/inputs.js'

const REPORT_FILE = path.resolve('reports/bench.json')
const PART_TIMEOUT_MS = 15 * 60_000
const ALL = ['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8'] as const
const accept = process.argv.includes('--accept')

const onlyArg = process.argv.find((a) => a.startsWith('--only='))
const only = onlyArg ? onlyArg.slice('--only='.length).toUpperCase().split(',') : [...ALL]
const unknown = only.filter((p) => !(ALL as readonly string[]).includes(p))
if (unknown.length) {
  console.error(`--only: unknown part ${unknown.join(', ')}; the parts are ${ALL.join(', ')}`)
  process.exit(2)
}
if (accept && !only.includes('B6')) {
  console.error('--accept makes the hot-path figures (B6) the accepted ones: run it with B6, e.g. npm run bench -- --only=B6 --accept')
  process.exit(2)
}

// B7's topic sizes, `--sizes=1000,10000` (default 1k, 10k, 100k and 1M; a size the machine's memory cannot hold is skipped and says so).
const sizesArg = process.argv.find((a) => a.startsWith('--sizes='))
const scaleSizes = sizesArg ? sizesArg.slice('--sizes='.length).split(',').map((x) => wholeNumber(x) ?? 0) : [...SCALE_SIZES]
if (scaleSizes.some((n) => n < 1)) {
  console.error(`--sizes: ${sizesArg}: give whole numbers of questions, e.g. --sizes=1000,10000`)
  process.exit(2)
}

const options = readOptions()
const dataDir = path.resolve(options.dataDir ?? '../shared/mmlu')
const threads = physicalCores()
const scratch = await mkdtemp(path.join(os.tmpdir(), 'mmlu-bench-'))
const started = performance.now()
const report: BenchReport = { createdAt: new Date().toISOString(), command: `npm run bench${onlyArg || accept ? ` -- ${[onlyArg, accept ? '--accept' : undefined].filter(Boolean).join(' ')}` : ''}`, machine: describeMachine(), parts: [], totalMs: 0 }

console.log(renderMachine(report.machine, []))
console.log(`Data     ${dataDir}\n`)

async function save(): Promise<void> {
  report.totalMs = performance.now() - started
  await mkdir(path.dirname(REPORT_FILE), { recursive: true })
  await writeFile(REPORT_FILE, JSON.stringify(report, null, 1))
}

/** Runs one part in a child process (same Node, same tsx loader) and returns what it wrote. */
async function part<T>(name: string, label: string, args: Omit<PartArgs, 'dataDir'> = {}): Promise<T> {
  const out = path.join(scratch, `${label}.json`)
  const loadBefore = os.loadavg()[0]!
  const t0 = performance.now()
  process.stderr.write(`… ${label}\n`)
  const child = spawn(process.execPath, [...process.execArgv, 'bench/parts.ts', name, JSON.stringify({ dataDir, ...args }), out], { stdio: ['ignore', 'inherit', 'inherit'] })
  const timer = setTimeout(() => child.kill('SIGKILL'), PART_TIMEOUT_MS)
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
  clearTimeout(timer)
  if (code !== 0) throw new Error(`bench part ${label} failed (exit ${code})`)
  const timing: PartTiming = { part: label, ms: performance.now() - t0, loadBefore, loadAfter: os.loadavg()[0]! }
  report.parts.push(timing)
  return JSON.parse(await readFile(out, 'utf8')) as T
}

try {
  if (only.includes('B1')) {
    const b1 = await part<HarnessFigures>('harness', 'B1 harness')
    report.B1 = { ...b1, goalOverheadMsPerQuestion: 0.3, goalVitestMs: 15_000 }
    console.log(`${renderHarness(report.B1)}\n`)
    await save()
  }

  if (only.includes('B2')) {
    type Setup = Omit<SetupFigures, 'latenciesMs'>
    const setups = await part<Setup[]>('engine', `B2 engine ${threads} threads`, { threads })
    // Threads: big batches (naive) and small ones (reuse) on one thread too.
    const oneThread = threads > 1 ? await part<Setup[]>('engine', 'B2 engine 1 thread', { threads: 1, setups: ['naive', 'reuse'] }) : []
    const speedups = (rows: Setup[]) => {
      const naive = rows.find((f) => f.name === B2_SETUPS[0]!.name)!
      return rows.map((f) => ({ ...f, speedup: f.questionsPerSecond / naive.questionsPerSecond }))
    }
    const withSpeedup = speedups(setups)
    const threadRows = oneThread.flatMap((one) => {
      const same = setups.find((f) => f.name === one.name)!
      return [one, same].map((f) => ({ ...f, speedup: f.questionsPerSecond / one.questionsPerSecond }))
    })
    report.B2 = {
      subject: ENGINE_SUBJECT,
      questions: ENGINE_QUESTIONS,
      model: 'random-small (4 blocks × 256 wide, F16, English-ish vocabulary)',
      setups: withSpeedup,
      threads: threadRows,
      bestSpeedup: maxOf(withSpeedup.map((f) => f.speedup)),
      oneThreadSpeedup: oneThread.length ? maxOf(speedups(oneThread).map((f) => f.speedup)) : undefined,
      goalSpeedup: 3,
    }
    console.log(`${renderEngine(report.B2)}\n`)
    await save()
  }

  if (only.includes('B3')) {
    const file = await part<{ path: string; fileSize: number; generatedMs: number }>('twinFile', 'B3 twin file')
    const runs: TwinSpeedFigures[] = []
    for (const shots of [0, 5]) runs.push(await part<TwinSpeedFigures>('twin', `B3 twin ${shots}-shot`, { shots, threads }))
    // The threads setting where compute dominates: the same 5-shot run on one thread.
    if (threads > 1) runs.push(await part<TwinSpeedFigures>('twin', 'B3 twin 5-shot 1 thread', { shots: 5, threads: 1 }))
    report.B3 = {
      file: { ...file, path: path.relative(process.cwd(), file.path) },
      vocabulary: 'real Llama 3 BPE vocabulary and merges (llama3-tokenizer-js)',
      runs,
      seedSecondsPerQuestion: 0.4,
      seedNote: 'llama3.2:1b on Ollama, sequential, on the seed experiment\'s machine (unknown, likely a GPU or Apple silicon), not this CPU',
    }
    console.log(`${renderTwin(report.B3)}\n`)
    await save()
  }

  if (only.includes('B4')) {
    // One thread: steady timings on a shared machine (see bench/growth.ts).
    const growth = await part<GrowthFigures>('growth', 'B4 growth', { threads: 1 })
    const memory: MemoryFigures[] = []
    for (const sequences of [1, 4, 8]) memory.push(await part<MemoryFigures>('memory', `B4 memory ${sequences} seq`, { sequences, threads: 1 }))
    report.B4 = { ...growth, memory }
    console.log(`${renderGrowth(report.B4)}\n`)
    await save()
  }
  if (only.includes('B5')) {
    type Setup = Omit<SetupFigures, 'latenciesMs'>
    const rows: ConcurrencyRow[] = []
    for (const t of threads > 1 ? [threads, 1] : [threads]) {
      const setups = await part<Setup[]>('concurrency', `B5 concurrency ${t} thread${t === 1 ? '' : 's'}`, { threads: t })
      for (const scoring of ['logprob', 'generate'] as const) {
        const one = setups.find((f) => f.scoring === scoring && f.sequences === 1)!
        const four = setups.find((f) => f.scoring === scoring && f.sequences === 4)!
        rows.push({ scoring, threads: t, one, four, gain: four.questionsPerSecond / one.questionsPerSecond, latencyInflation: four.meanLatencyMs / one.meanLatencyMs })
      }
    }
    report.B5 = {
      subject: ENGINE_SUBJECT,
      questions: CONCURRENCY_QUESTIONS,
      model: 'random-small',
      maxTokens: CONCURRENCY_MAX_TOKENS,
      rows,
      goalGain: 1.5,
    }
    console.log(`${renderConcurrency(report.B5)}\n`)
    await save()
  }
  if (only.includes('B6')) {
    const label = 'B6 hot paths'
    const out = path.join(scratch, 'hot.json')
    const loadBefore = os.loadavg()[0]!
    const t0 = performance.now()
    process.stderr.write(`… ${label}\n`)
    await runHotBenches(out, { ...process.env, MMLU_DATA_DIR: dataDir }, PART_TIMEOUT_MS)
    report.parts.push({ part: label, ms: performance.now() - t0, loadBefore, loadAfter: os.loadavg()[0]! })
    const json = JSON.parse(await readFile(out, 'utf8')) as VitestBenchJson
    const root = process.cwd()
    const figures = readHotFigures(json, root)
    const source = mmluDir({ MMLU_DATA_DIR: dataDir }) ? ('mmlu' as const) : ('fixtures' as const)
    // A broken accepted file is replaced by --accept, and stops only a run that would compare with it.
    const accepted = accept ? await readAccepted().catch(() => undefined) : await readAccepted()
    const notJudged = accepted && whyNotComparable(accepted.accepted, source, report.machine)
    report.B6 = {
      source,
      figures,
      ...(accepted ? { accepted: accepted.accepted } : {}),
      ...(notJudged ? { notJudged } : {}),
      threshold: HOT_THRESHOLD,
      comparisons: compareHot(figures, accepted ? readHotFigures(accepted, root) : [], HOT_THRESHOLD, !notJudged),
      acceptedNow: accept,
    }
    if (accept) await writeAccepted(json, { createdAt: report.createdAt, command: report.command, machine: report.machine, loadAverage: [loadBefore, os.loadavg()[0]!], source }, root)
    console.log(`${renderHot(report.B6)}\n`)
    if (accept) console.log(`Accepted ${ACCEPTED_FILE}`)
    await save()
  }
  if (only.includes('B7')) {
    report.B7 = await part<ScaleFigures>('scale', 'B7 scale', sizesArg ? { sizes: scaleSizes } : {})
    console.log(`${renderScale(report.B7)}\n`)
    await save()
  }
  if (only.includes('B8')) {
    report.B8 = await part<StartupFigures>('startup', 'B8 start-up')
    console.log(`${renderStartup(report.B8)}\n`)
    await save()
  }
} finally {
  await save()
  await rm(scratch, { recursive: true, force: true })
}

console.log('─'.repeat(80))
console.log(renderReport(report))
console.log(`\nWritten  ${path.relative(process.cwd(), REPORT_FILE)}`)
