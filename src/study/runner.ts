// Runs the seed's timing experiment as real Vitest runs, each one spawned as
// `vitest run --project mmlu` with a profile's flags (profiles.ts), exactly
// as a user would type it, writing its results JSON where the study reads it
// back (MMLU_RESULTS). A child process per run keeps every run's engine,
// workers and threads as they would be for the user, and no state leaks from
// one run into the next.
//
// Order: an untimed warm-up (one question, so a server has the model loaded),
// then sequential and files alternately R times (slow drift on a shared
// machine hits both alike), then the in-file concurrency sweep. Concurrency 1
// of the sweep is the sequential profile, so its runs are reused.
// Several servers (OLLAMA_HOST or MMLU_OPENAI_BASE_URL listing N): every run
// above uses the first server alone, and the `servers` runs (R of them, after
// each sequential one) are the sequential profile over all N: one question in
// flight per server, the seed's "two separate Ollama servers".
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { availableParallelism, loadavg } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { physicalCores } from '../backends/cpu.js'
import { redactUrl } from '../backends/server.js'
import { SUBJECTS, isSubject } from '../dataset/subjects.js'
import { parseResultsFile } from '../run/results-read.js'
import type { Options } from '../config/options.js'
import { DEFINITIONS, readOptions } from '../config/options.js'
import type { ResultsFile } from '../run/results.js'
import type { RunKind, StudyAnalysis, StudyRun } from './analysis.js'
import { analyzeStudy } from './analysis.js'
import type { MachineFacts } from './explain.js'
import { explainStudy } from './explain.js'
import { measureRun } from './measure.js'
import type { ProfileName } from './profiles.js'
import { PROFILES, subjectFiles } from './profiles.js'
import type { StudySettings } from './settings.js'

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const VITEST_CLI = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')

export class StudyError extends Error {
  override name = 'StudyError'
}

export interface Study {
  settings: StudySettings
  /** The settings a reader needs to repeat it: the command line and the model/backend environment (no secrets). */
  command: string
  startedAt: string
  finishedAt: string
  machine: MachineFacts
  runs: StudyRun[]
  analysis: StudyAnalysis
  explanation: string[]
}

/** Settings that choose the model and what is asked, as the user set them: the study's command line shows them. */
const SHOWN_SETTINGS: (keyof Options)[] = ['model', 'backend', 'ollamaHosts', 'openaiBaseUrls', 'dataDir', 'limit', 'shots', 'scoring', 'promptFormat', 'threads', 'gpu']
/** Comma-separated lists of server URLs: each shown without credentials. */
const URL_SETTINGS = new Set<keyof Options>(['ollamaHosts', 'openaiBaseUrls'])

export function studyCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const vars = SHOWN_SETTINGS.flatMap((key) => {
    const name = DEFINITIONS[key].env
    const value = env[name]
    if (value === undefined || value === '') return []
    return [`${name}=${URL_SETTINGS.has(key) ? value.split(',').map((u) => redactUrl(u.trim())).join(',') : value}`]
  })
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)
  return [...vars.map(quote), 'npm run study', ...(argv.length ? ['--', ...argv.map(quote)] : [])].join(' ')
}

/**
 * The environment of each run: the user's, with what the study decides
 * itself taken out. Vitest's own variables (VITEST_MAX_WORKERS would override
 * the profile's workers; a surrounding Vitest's worker state must not leak),
 * the gates and the job summary (a study measures time, it does not gate),
 * the answer cache (a cached answer is not timed), and the run history (the
 * study keeps each run's results in its own folder).
 */
export function runEnvironment(base: NodeJS.ProcessEnv, profileEnv: Record<string, string>, resultsFile: string): NodeJS.ProcessEnv {
  const drop = new Set((['thresholdsFile', 'baselineFile', 'speedupBaselineFile', 'stepSummaryFile'] as const).map((k) => DEFINITIONS[k].env))
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(base)) if (!k.startsWith('VITEST') && !drop.has(k)) env[k] = v
  return { ...env, ...profileEnv, [DEFINITIONS.resultsFile.env]: resultsFile, [DEFINITIONS.cache.env]: 'off', [DEFINITIONS.keepRuns.env]: '0' }
}

export interface RunPlan {
  label: string
  kind: RunKind | 'warmup'
  profile: ProfileName
  repeat: number
  concurrency: number
  maxWorkers: number
  subjects: string[]
  /** Extra environment (the warm-up's one question; the first server alone where several are listed). */
  env: Record<string, string>
}

/** The servers the environment lists for the backend in use: the variable and its entries as written. */
export interface ServerList {
  variable: string
  entries: string[]
}

export function serverList(options: Options, env: NodeJS.ProcessEnv = process.env): ServerList {
  const key = options.backend === 'openai' ? 'openaiBaseUrls' : 'ollamaHosts'
  const def = DEFINITIONS[key]
  // The fallback variable (OPENAI_BASE_URL) where the project's own is unset.
  const variable = env[def.env]?.trim() ? def.env : key === 'openaiBaseUrls' && env.OPENAI_BASE_URL?.trim() ? 'OPENAI_BASE_URL' : def.env
  const raw = env[variable] ?? ''
  return { variable, entries: raw.split(',').map((e) => e.trim()).filter(Boolean) }
}

export function planStudy(s: StudySettings, servers: ServerList = { variable: DEFINITIONS.ollamaHosts.env, entries: [] }): RunPlan[] {
  const plan: RunPlan[] = []
  const several = servers.entries.length > 1
  // With several servers listed, every profile but `servers` runs on the first alone.
  const first: Record<string, string> = several ? { [servers.variable]: servers.entries[0]! } : {}
  const base = { subjects: s.subjects, env: first }
  // The warm-up loads the model on every server.
  if (s.warmup) plan.push({ ...base, label: 'warmup', kind: 'warmup', profile: 'sequential', repeat: 1, concurrency: 1, maxWorkers: 1, subjects: s.subjects.slice(0, 1), env: { [DEFINITIONS.limit.env]: several ? String(servers.entries.length) : '1' } })
  for (let i = 1; i <= s.repeats; i++) {
    plan.push({ ...base, label: `sequential-${i}`, kind: 'sequential', profile: 'sequential', repeat: i, concurrency: 1, maxWorkers: 1 })
    if (several) plan.push({ ...base, env: {}, label: `servers-${i}`, kind: 'servers', profile: 'sequential', repeat: i, concurrency: 1, maxWorkers: 1 })
    plan.push({ ...base, label: `files-${i}`, kind: 'files', profile: 'files', repeat: i, concurrency: 1, maxWorkers: s.workers })
  }
  for (const c of s.sweep) {
    if (c === 1 && s.repeats > 0) continue
    plan.push({ ...base, label: `concurrency-${c}`, kind: 'concurrent', profile: 'concurrent', repeat: 1, concurrency: c, maxWorkers: 1 })
  }
  return plan
}

/** An upper bound on one run, so a stuck child cannot hang the study: every question at its full timeout, plus start-up. */
function runLimitMs(plan: RunPlan, options: Options): number {
  const perSubject = (s: string) => Math.min(options.limit ?? Infinity, isSubject(s) ? SUBJECTS[s].testCount : 2_000)
  const questions = plan.subjects.reduce((n, s) => n + perSubject(s), 0)
  return questions * options.timeoutMs * (options.retries + 1) + 10 * 60_000
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n')
}

async function runOne(plan: RunPlan, dir: string, options: Options): Promise<{ results: ResultsFile; resultsFile: string }> {
  const runDir = join(dir, plan.label)
  await mkdir(runDir, { recursive: true })
  const resultsFile = join(runDir, 'mmlu-results.json')
  const logFile = join(runDir, 'output.log')
  const profile = PROFILES[plan.profile]
  const args = [VITEST_CLI, 'run', '--project', 'mmlu', ...profile.args(plan.maxWorkers), ...subjectFiles(plan.subjects)]
  const env = { ...runEnvironment(process.env, profile.env(plan.concurrency), resultsFile), ...plan.env }
  const log = createWriteStream(logFile)
  log.write(`$ vitest ${args.slice(1).join(' ')}\n`)
  let output = ''
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const collect = (d: Buffer) => {
    log.write(d)
    output = tail(output + d.toString(), 200)
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const limit = runLimitMs(plan, options)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGTERM')
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref()
  }, limit)
  const code = await new Promise<number | null>((done) => {
    child.on('error', (e) => {
      collect(Buffer.from(`\n${e.message}\n`))
      done(null)
    })
    child.on('close', (c) => done(c))
  })
  clearTimeout(timer)
  await new Promise<void>((done) => log.end(done))
  const where = relative(process.cwd(), logFile) || logFile
  if (timedOut) throw new StudyError(`run ${plan.label} did not finish within ${Math.round(limit / 60_000)} min and was stopped; its output is in ${where}.`)
  const text = await readFile(resultsFile, 'utf8').catch(() => undefined)
  if (code !== 0 || text === undefined) {
    throw new StudyError(
      `run ${plan.label} failed (exit code ${code}${text === undefined ? ', no results file' : ''}): a study needs every question answered, since errors and timeouts distort the timings. ` +
        `Its output is in ${where}; the end of it:\n${tail(output, 25)}`,
    )
  }
  return { results: parseResultsFile(text, resultsFile), resultsFile }
}

export interface StudyProgress {
  (line: string): void
}

function machineFacts(loadBefore: number): MachineFacts {
  return { cpus: availableParallelism(), physicalCores: physicalCores(), loadBefore, loadAfter: loadavg()[0] ?? NaN }
}

function describeRun(run: StudyRun): string {
  const m = run.measure
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  return `work ${s(m.busyMs)} · ${m.throughput.toFixed(2)} q/s · latency mean ${Math.round(m.latencyMs.mean)} ms · ${m.questions} questions, ${m.workersUsed} worker${m.workersUsed === 1 ? '' : 's'}, concurrency ${m.concurrency} · Vitest wall ${s(m.processWallMs)}`
}

export async function runStudy(settings: StudySettings, argv: readonly string[], progress: StudyProgress = () => {}): Promise<Study> {
  const options = readOptions()
  const startedAt = new Date().toISOString()
  const loadBefore = loadavg()[0] ?? NaN
  const dir = resolve(settings.outDir, 'study-runs')
  // The runs of an earlier study would mix with these: the folder is the study's own.
  await rm(dir, { recursive: true, force: true })
  const plan = planStudy(settings, serverList(options))
  const runs: StudyRun[] = []
  const timed = plan.filter((p) => p.kind !== 'warmup').length
  for (const p of plan) {
    const { results, resultsFile } = await runOne(p, dir, options)
    if (p.kind === 'warmup') {
      progress(`warm-up      ${results.summary.questions} question answered (untimed)`)
      continue
    }
    const run: StudyRun = { kind: p.kind, repeat: p.repeat, concurrency: p.concurrency, maxWorkers: p.maxWorkers, resultsFile, results, measure: measureRun(results) }
    if (run.measure.cached) throw new StudyError(`run ${p.label} took ${run.measure.cached} answers from the answer cache, which are not timed; the study sets MMLU_CACHE=off, so this should not happen: report it.`)
    runs.push(run)
    progress(`${`${p.label}`.padEnd(15)} ${String(runs.length).padStart(2)}/${timed}  ${describeRun(run)}`)
  }
  const analysis = analyzeStudy(runs)
  const machine = machineFacts(loadBefore)
  return {
    settings,
    command: studyCommand(argv),
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    runs,
    analysis,
    explanation: explainStudy(analysis, machine, settings.repeats),
  }
}

/** A study back from its study.json and its runs' results files (`npm run study -- --render`): renders again without running. */
export async function loadStudy(outDir: string): Promise<Study> {
  const file = join(outDir, 'study.json')
  const text = await readFile(file, 'utf8').catch(() => {
    throw new StudyError(`${file}: no study to render. Fix: run npm run study first (with the same --out).`)
  })
  const saved = JSON.parse(text) as { command: string; settings: StudySettings; startedAt: string; finishedAt: string; machine: MachineFacts; runs: { kind: RunKind; repeat: number; concurrency: number; maxWorkers: number; resultsFile: string }[] }
  const runs: StudyRun[] = []
  for (const r of saved.runs) {
    const resultsFile = resolve(outDir, r.resultsFile)
    const results = parseResultsFile(await readFile(resultsFile, 'utf8'), resultsFile)
    runs.push({ kind: r.kind, repeat: r.repeat, concurrency: r.concurrency, maxWorkers: r.maxWorkers, resultsFile, results, measure: measureRun(results) })
  }
  const analysis = analyzeStudy(runs)
  return { ...saved, runs, analysis, explanation: explainStudy(analysis, saved.machine, saved.settings.repeats) }
}

/** What study.json holds: the figures, and where each run's full results are (no records: those stay in the runs' own files). */
export function studySummary(study: Study, outDir: string): unknown {
  const a = study.analysis
  const slim = (p: { busyMs: number; throughput: number; latencyMs: unknown; workersUsed: number } | undefined) =>
    p && { busyMs: p.busyMs, throughput: p.throughput, latencyMs: p.latencyMs, workersUsed: p.workersUsed }
  return {
    command: study.command,
    settings: study.settings,
    startedAt: study.startedAt,
    finishedAt: study.finishedAt,
    machine: study.machine,
    engine: a.engine,
    speedup: a.speedup,
    latencyInflation: a.latencyInflation,
    sequential: slim(a.sequential),
    files: slim(a.files),
    sweep: a.sweep.map((p) => ({ concurrency: p.concurrency, ...slim(p), gain: p.gain, latencyInflation: p.latencyInflation })),
    ...(a.servers ? { servers: { count: a.servers.count, ...slim(a.servers), gain: a.serversGain, latencyInflation: a.serversLatencyInflation } } : {}),
    accuracy: a.accuracy,
    explanation: study.explanation,
    runs: study.runs.map((r) => ({
      kind: r.kind,
      repeat: r.repeat,
      concurrency: r.concurrency,
      maxWorkers: r.maxWorkers,
      resultsFile: relative(outDir, r.resultsFile),
      measure: { ...r.measure, subjects: r.measure.subjects },
    })),
  }
}
