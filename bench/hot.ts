// B6, the hot paths: `vitest bench` over bench/hot/*.bench.ts in a child
// process, its JSON (--outputJson) read back, and each case set against the
// last accepted figures (bench/accepted-hot.json) as a ratio. The accepted
// file keeps Vitest's own format, so `vitest bench --compare` reads it too.
//
// The ratio is of medians, and a case is flagged only when its means differ
// beyond both margins of error (rme) as well: on a shared machine a few
// descheduled samples move a mean by 2× between two runs of the same code
// (measured at a load average of 14-16: means 0.4-2.5×, most medians 0.9-1.1×;
// docs/performance.md#reading-and-accepting-the-ratios).
import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { DataSource } from './hot/inputs.js'
import type { Machine } from './machine.js'

const VITEST_CLI = path.resolve('node_modules/vitest/vitest.mjs')
export const HOT_CONFIG = 'bench/hot/vitest.config.ts'
export const ACCEPTED_FILE = 'bench/accepted-hot.json'
/** A median now ÷ accepted above this, with the means apart beyond both margins of error, is flagged slower. */
export const HOT_THRESHOLD = 1.25

/** One case as Vitest's bench JSON writes it (times in ms; rme in % of the mean). */
export interface VitestBenchCase {
  id: string
  name: string
  mean: number
  median: number
  p99: number
  hz: number
  rme: number
  sampleCount: number
  [more: string]: unknown
}

/** Vitest's `--outputJson` file. */
export interface VitestBenchJson {
  files: { filepath: string; groups: { fullName: string; benchmarks: VitestBenchCase[] }[] }[]
}

/** One case's figures: `key` is `file > group > case`, stable across machines (Vitest's ids are positions). */
export interface HotFigure {
  key: string
  mean: number
  median: number
  p99: number
  hz: number
  rme: number
  samples: number
}

/** The machine, as describeMachine() gives it, less the package versions. */
export type AcceptedMachine = Omit<Machine, 'nodeLlamaCpp' | 'vitest'>

/** What the accepted figures were measured on. */
export interface AcceptedInfo {
  createdAt: string
  command: string
  machine: AcceptedMachine
  /** 1-minute load average before and after the run. */
  loadAverage: [number, number]
  source: DataSource
}

export type AcceptedHot = VitestBenchJson & { accepted: AcceptedInfo }

/**
 * slower: the ratio of medians above the threshold and the means apart beyond
 * both margins of error; noisy: above the threshold but within them; ok: at or under it;
 * new: no accepted figure; gone: accepted, not measured.
 */
export type HotFlag = 'ok' | 'slower' | 'noisy' | 'new' | 'gone'

export interface HotComparison {
  key: string
  now?: HotFigure
  accepted?: HotFigure
  /** now.median ÷ accepted.median. */
  ratio?: number
  /** The least ratio of the means their margins allow: now.mean·(1 − rme) ÷ accepted.mean·(1 + rme); above 1, they are apart. */
  ratioLow?: number
  flag: HotFlag
}

export interface HotReport {
  source: DataSource
  figures: HotFigure[]
  /** Absent when nothing was accepted yet. */
  accepted?: AcceptedInfo
  /** Why no ratio is judged (the accepted figures come from other data or another machine); absent when they are. */
  notJudged?: string
  threshold: number
  comparisons: HotComparison[]
  /** This run's figures were written to ACCEPTED_FILE (--accept). */
  acceptedNow: boolean
}

/** Every case of a Vitest bench JSON, keyed by file (relative to `root`), group and name. */
export function readHotFigures(json: VitestBenchJson, root: string): HotFigure[] {
  const out: HotFigure[] = []
  for (const file of json.files) {
    const rel = path.relative(root, path.resolve(root, file.filepath)).split(path.sep).join('/')
    for (const group of file.groups) {
      // Vitest's fullName opens with the file, relative to the project root.
      const suite = group.fullName.split(' > ').slice(1).join(' > ')
      for (const b of group.benchmarks) out.push({ key: `${rel} > ${suite} > ${b.name}`, mean: b.mean, median: b.median, p99: b.p99, hz: b.hz, rme: b.rme, samples: b.sampleCount })
    }
  }
  return out
}

/** Each case now against its accepted figure, in the order measured, then the accepted ones not measured. */
export function compareHot(now: readonly HotFigure[], accepted: readonly HotFigure[], threshold = HOT_THRESHOLD, comparable = true): HotComparison[] {
  const before = new Map(accepted.map((f) => [f.key, f]))
  const rows: HotComparison[] = now.map((f) => {
    const a = before.get(f.key)
    if (!a) return { key: f.key, now: f, flag: 'new' }
    const ratio = f.median / a.median
    const ratioLow = (f.mean * (1 - f.rme / 100)) / (a.mean * (1 + a.rme / 100))
    const flag: HotFlag = !comparable || ratio <= threshold ? 'ok' : ratioLow > 1 ? 'slower' : 'noisy'
    return { key: f.key, now: f, accepted: a, ratio, ratioLow, flag }
  })
  const measured = new Set(now.map((f) => f.key))
  for (const a of accepted) if (!measured.has(a.key)) rows.push({ key: a.key, accepted: a, flag: 'gone' })
  return rows
}

const sourceName = (s: DataSource): string => (s === 'mmlu' ? 'MMLU data' : 'fixture questions')

/** Why this run's figures cannot be judged against the accepted ones: other data, or another machine. */
export function whyNotComparable(accepted: AcceptedInfo, source: DataSource, machine: AcceptedMachine): string | undefined {
  if (accepted.source !== source) return `the accepted figures come from ${sourceName(accepted.source)}, this run from ${sourceName(source)}`
  const m = accepted.machine
  if (m.cpuModel !== machine.cpuModel || m.logicalCpus !== machine.logicalCpus) return `the accepted figures come from another machine (${m.cpuModel}, ${m.logicalCpus} CPUs); accept this machine's own (--accept)`
  return undefined
}

/** Runs the hot-path benches in a child `vitest bench --run`; resolves when it has written `outputJson`. `quiet`: its output only in the error. */
export async function runHotBenches(outputJson: string, env: NodeJS.ProcessEnv, timeoutMs: number, quiet = false): Promise<void> {
  const child = spawn(process.execPath, [VITEST_CLI, 'bench', '--run', '--config', HOT_CONFIG, '--outputJson', outputJson], {
    env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'],
  })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
  clearTimeout(timer)
  if (code !== 0) throw new Error(`vitest bench --config ${HOT_CONFIG} failed (exit ${code})${output ? `:\n${output.slice(-4000)}` : ''}`)
}

export async function readAccepted(file = ACCEPTED_FILE): Promise<AcceptedHot | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as AcceptedHot
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`${file}: cannot be read as accepted bench figures (${(e as Error).message}); accept new ones with npm run bench -- --only=B6 --accept`)
  }
}

/** The run's Vitest JSON as the accepted figures: paths relative to the root (so another clone compares too), samples dropped. */
export async function writeAccepted(json: VitestBenchJson, info: AcceptedInfo, root: string, file = ACCEPTED_FILE): Promise<void> {
  const files = json.files.map((f) => ({ ...f, filepath: path.relative(root, f.filepath).split(path.sep).join('/'), groups: f.groups.map((g) => ({ ...g, benchmarks: g.benchmarks.map((b) => ({ ...b, samples: [] })) })) }))
  const accepted: AcceptedHot = { accepted: info, files }
  await writeFile(file, `${JSON.stringify(accepted, null, 1)}\n`)
}
