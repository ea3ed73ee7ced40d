// The run history: every run that answered questions is kept in its own
// folder under `runs/` beside the results JSON,
//   reports/runs/<yyyymmdd-hhmmss>-<model>/mmlu-results.json   the run, as written
//                                         /index.html          its summary page
//                                         /run.json            its headline (for the index)
//   reports/runs/index.html                                    every run, newest first
// A run folder is created once, with a name no other run has, and never
// written again; only the index is rewritten. Pruning deletes whole folders,
// and only folders that hold a run.json (never anything else in runs/), and
// what a failed keep left behind (see removeLeftovers).
import { createHash } from 'node:crypto'
import type { Dirent } from 'node:fs'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { analysisOf } from '../analysis/run.js'
import type { ResultsFile } from './results.js'
import type { Interval } from '../base/stats.js'
import { isSimulatedRun } from '../base/simulated.js'
import { TMP_SUFFIX } from './atomic-write.js'

export const RUNS_FOLDER = 'runs'
export const HEADLINE_FILE = 'run.json'
export const RUN_RESULTS_FILE = 'mmlu-results.json'

/** What the index shows of a run, kept small so listing a hundred runs reads no results file. */
export interface RunHeadline {
  /** The folder's name. */
  id: string
  createdAt: string
  status: string
  model: string
  engine: string
  /** Answered by the test double (src/base/simulated.ts); absent for a real run. */
  simulated?: true
  digest?: string
  scoring: string
  shots: number
  limit?: number
  subjects: number
  questions: number
  correct: number
  invalid: number
  errors: number
  accuracy: number
  ci95: Interval
  macroAccuracy: number
  questionsPerSecond: number
  /** Expected calibration error (normalised), log-prob runs. */
  ece?: number
  /** When the letter bias is strong: the letter most over-given among the wrong answers (runs kept before issue 21 hold givenShare and keyShare instead). */
  bias?: { letter: string; wrongShare?: number; expectedShare?: number; givenShare?: number; keyShare?: number }
  /** sha256 over every subject's shots, prompt hash and data fingerprint: equal keys, same inputs. */
  inputsKey: string
  /** False when the run folder has no summary page (an interrupted run keeps its results only). */
  page?: false
}

export function runsFolder(resultsFile: string): string {
  return join(dirname(resultsFile), RUNS_FOLDER)
}

/** Whether a run is worth keeping: it answered at least one question. */
export function answeredAny(results: Pick<ResultsFile, 'records'>): boolean {
  return results.records.some((r) => r.outcome === 'correct' || r.outcome === 'wrong' || r.outcome === 'invalid')
}

/** `2026-01-30T03:35:12.345Z`, `fixed-A.gguf` → `20260130-033512-fixed-A.gguf`: sorts by time, safe on every file system. */
export function runId(createdAt: string, model: string): string {
  const t = createdAt.replace(/\.\d+Z$|Z$/, '').replace(/[-:]/g, '').replace('T', '-')
  const name = model.replace(/^.*[\\/]/, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 60) || 'model'
  return `${t}-${name}`
}

export function inputsKey(results: Pick<ResultsFile, 'config'>): string {
  const inputs = results.config.inputs ?? {}
  const canonical = Object.keys(inputs)
    .sort()
    .map((s) => [s, inputs[s]!.shots, inputs[s]!.promptHash, inputs[s]!.dataFingerprint])
  return `sha256:${createHash('sha256').update(JSON.stringify(canonical)).digest('hex')}`
}

export function headlineOf(results: ResultsFile, id: string): RunHeadline {
  const { config, summary } = results
  const analysis = analysisOf(results)
  const digest = results.provenance[0]?.digest
  const ece = analysis.calibration?.normalised.ece
  return {
    id,
    createdAt: results.createdAt,
    status: results.status,
    model: config.model,
    engine: config.engine,
    ...(isSimulatedRun(results) ? { simulated: true as const } : {}),
    ...(digest ? { digest } : {}),
    scoring: config.scoring,
    shots: config.shots,
    ...(config.limit ? { limit: config.limit } : {}),
    subjects: summary.subjects,
    questions: summary.questions,
    correct: summary.correct,
    invalid: summary.invalid,
    errors: summary.errors,
    accuracy: summary.microAccuracy,
    ci95: summary.microCi95,
    macroAccuracy: summary.macroAccuracy,
    questionsPerSecond: summary.questionsPerSecond,
    ...(ece !== undefined && Number.isFinite(ece) ? { ece } : {}),
    ...(analysis.letterBias?.strong ? { bias: analysis.letterBias.strongest } : {}),
    inputsKey: inputsKey(results),
  }
}

/**
 * A new folder for the run: `<id>`, or `<id>-2`, `-3`… when a run of the same
 * second and model is there already. mkdir without `recursive` fails on an
 * existing folder, so two runs can never share one, nor one overwrite another.
 */
export async function createRunFolder(runsDir: string, id: string): Promise<{ id: string; dir: string }> {
  await mkdir(runsDir, { recursive: true })
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? id : `${id}-${n}`
    const dir = join(runsDir, candidate)
    try {
      await mkdir(dir)
      return { id: candidate, dir }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || n > 1000) throw e
    }
  }
}

/** The same, synchronously: for the interrupt path, where the event loop will not run again. */
export function createRunFolderSync(runsDir: string, id: string): { id: string; dir: string } {
  mkdirSync(runsDir, { recursive: true })
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? id : `${id}-${n}`
    const dir = join(runsDir, candidate)
    try {
      mkdirSync(dir)
      return { id: candidate, dir }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || n > 1000) throw e
    }
  }
}

function parseHeadline(text: string, id: string): RunHeadline | undefined {
  try {
    const h = JSON.parse(text) as RunHeadline
    return typeof h === 'object' && h !== null && typeof h.model === 'string' && typeof h.createdAt === 'string' ? { ...h, id } : undefined
  } catch {
    return undefined
  }
}

/** Every kept run, newest first. Folders without a readable run.json are not runs (or not ours) and are skipped. */
export async function listRuns(runsDir: string): Promise<RunHeadline[]> {
  const entries = await readdir(runsDir, { withFileTypes: true }).catch(() => [])
  const runs: RunHeadline[] = []
  for (const e of entries) {
    if (!e.isDirectory()) continue
    const text = await readFile(join(runsDir, e.name, HEADLINE_FILE), 'utf8').catch(() => undefined)
    const h = text === undefined ? undefined : parseHeadline(text, e.name)
    if (h) runs.push(h)
  }
  return runs.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
}

export function listRunsSync(runsDir: string): RunHeadline[] {
  let names: string[]
  try {
    names = readdirSync(runsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
  } catch {
    return []
  }
  const runs: RunHeadline[] = []
  for (const name of names) {
    let text: string
    try {
      text = readFileSync(join(runsDir, name, HEADLINE_FILE), 'utf8')
    } catch {
      continue
    }
    const h = parseHeadline(text, name)
    if (h) runs.push(h)
  }
  return runs.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
}

/** Deletes all but the newest `keep` runs, and the leftovers of failed keeps; returns the ids of the runs deleted. */
export async function pruneRuns(runsDir: string, keep: number): Promise<string[]> {
  const old = (await listRuns(runsDir)).slice(keep).map((r) => r.id)
  for (const id of old) await rm(join(runsDir, id), { recursive: true, force: true })
  await removeLeftovers(runsDir)
  return old
}

export function pruneRunsSync(runsDir: string, keep: number): string[] {
  const old = listRunsSync(runsDir)
    .slice(keep)
    .map((r) => r.id)
  for (const id of old) rmSync(join(runsDir, id), { recursive: true, force: true })
  removeLeftoversSync(runsDir)
  return old
}

/** A folder named like a run (`20260130-033512-…`): ours to delete when it is a leftover. */
const RUN_FOLDER_NAME = /^\d{8}-\d{6}-/
/**
 * How old a folder without a headline, or a temp file, must be to be a leftover
 * rather than a run being kept right now (which takes seconds).
 */
export const LEFTOVER_AGE_MS = 3600_000

/** `headline`: run.json's text; null when there is none, undefined when it cannot be read. */
type Leftover = { name: string; kind: 'tmp' | 'folder'; headline: string | undefined | null; ageMs: number }

/**
 * What a keep that failed (a full disk, a killed process) left in runs/:
 * - a run folder whose run.json is there but not a headline (the headline is
 *   written through a rename, so a run in progress never has a half one);
 * - a run folder without run.json, or a temp file, older than LEFTOVER_AGE_MS.
 * Folders not named like a run are never touched.
 */
function isLeftover(l: Leftover): boolean {
  if (l.kind === 'tmp') return l.ageMs > LEFTOVER_AGE_MS
  if (!RUN_FOLDER_NAME.test(l.name)) return false
  if (l.headline === null) return l.ageMs > LEFTOVER_AGE_MS
  // Unreadable (permissions): not ours to judge.
  if (l.headline === undefined) return false
  return parseHeadline(l.headline, l.name) === undefined
}

export async function removeLeftovers(runsDir: string): Promise<string[]> {
  const removed: string[] = []
  for (const e of await readdir(runsDir, { withFileTypes: true }).catch(() => [])) {
    const path = join(runsDir, e.name)
    const kind = e.isFile() && e.name.endsWith(TMP_SUFFIX) ? 'tmp' : e.isDirectory() ? 'folder' : undefined
    if (!kind) continue
    const ageMs = Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? Date.now())
    const headline = kind === 'folder' ? await readFile(join(path, HEADLINE_FILE), 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : undefined)) : undefined
    if (!isLeftover({ name: e.name, kind, headline, ageMs })) continue
    await rm(path, { recursive: true, force: true })
    removed.push(e.name)
  }
  return removed
}

export function removeLeftoversSync(runsDir: string): string[] {
  const removed: string[] = []
  let entries: Dirent[]
  try {
    entries = readdirSync(runsDir, { withFileTypes: true })
  } catch {
    return removed
  }
  for (const e of entries) {
    const path = join(runsDir, e.name)
    const kind = e.isFile() && e.name.endsWith(TMP_SUFFIX) ? 'tmp' : e.isDirectory() ? 'folder' : undefined
    if (!kind) continue
    try {
      const ageMs = Date.now() - statSync(path).mtimeMs
      let headline: string | undefined | null
      if (kind === 'folder') {
        try {
          headline = readFileSync(join(path, HEADLINE_FILE), 'utf8')
        } catch (err) {
          headline = (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : undefined
        }
      }
      if (!isLeftover({ name: e.name, kind, headline, ageMs })) continue
      rmSync(path, { recursive: true, force: true })
      removed.push(e.name)
    } catch {}
  }
  return removed
}
