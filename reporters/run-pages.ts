// After a run: the summary page beside the results JSON, and the run kept in
// the history (src/run/kept-runs.ts) with its own page, headline and the index
// of every run. What goes wrong here costs pages, never the run: the results
// JSON is already written, and each failure is one line saying why.
// After the last question each thing is made once: the history's results file
// is a copy of the one just written (not a second serialization), and the
// page is rendered once and written to both folders (html.ts fills in the
// links that differ).
import { closeSync, openSync, readSync, rmSync } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { copyFileAtomic, copyFileAtomicSync, writeFileAtomic, writeFileAtomicSync } from '../src/run/atomic-write.js'
import type { ResultsFile } from '../src/run/results.js'
import { shownPath } from '../src/run/shown-path.js'
import { writeResults, writeResultsSync } from '../src/run/results.js'
import type { RunHeadline } from '../src/run/kept-runs.js'
import {
  answeredAny,
  createRunFolder,
  createRunFolderSync,
  HEADLINE_FILE,
  headlineOf,
  listRuns,
  listRunsSync,
  pruneRuns,
  pruneRunsSync,
  RUN_RESULTS_FILE,
  runId,
  runsFolder,
} from '../src/run/kept-runs.js'
import type { ReportLinks } from './render/html.js'
import { renderSummaryTemplate, writeSummaryPage } from './render/html.js'
import { compareCommand, previousOfSameInputs, renderRunsIndex } from './render/runs-index.js'

export interface RunPagesOptions {
  /** Links into this run's Vitest HTML report (the latest page only: the report is not kept per run). */
  links?: ReportLinks
  /** Question starts by `subject#index`, for the per-question tables. */
  titles?: ReadonlyMap<string, string>
  /** MMLU_KEEP_RUNS: undefined keeps every run; N the newest N; 0 none (earlier ones are deleted too, as `--keep 0` does). */
  keepRuns: number | undefined
  /** False for a shard: the merged report is the run that is kept. */
  keep: boolean
}


/** Tries at rewriting the index before giving up on a listing that keeps changing. */
const INDEX_TRIES = 20

const sameIds = (a: readonly RunHeadline[], b: readonly RunHeadline[]) => a.length === b.length && a.every((r, i) => r.id === b[i]!.id)

/**
 * Rewrites runs/index.html from the headlines there. Other runs may be kept or
 * pruned meanwhile (several runs finishing in the same second): after its
 * rename, each writer lists the folder again and rewrites the index until the
 * listing it wrote is still the folder's. The last writer therefore lists every
 * headline written before it, whatever the order of the writes.
 */
export async function writeRunsIndex(runsDir: string): Promise<RunHeadline[]> {
  const file = join(runsDir, 'index.html')
  let runs = await listRuns(runsDir)
  for (let i = 0; i < INDEX_TRIES; i++) {
    await writeFileAtomic(file, renderRunsIndex(runs, shownPath(runsDir)))
    const now = await listRuns(runsDir)
    if (sameIds(now, runs)) break
    runs = now
  }
  return runs
}

function writeRunsIndexSync(runsDir: string): RunHeadline[] {
  const file = join(runsDir, 'index.html')
  let runs = listRunsSync(runsDir)
  for (let i = 0; i < INDEX_TRIES; i++) {
    writeFileAtomicSync(file, renderRunsIndex(runs, shownPath(runsDir)))
    const now = listRunsSync(runsDir)
    if (sameIds(now, runs)) break
    runs = now
  }
  return runs
}

function keptLines(runsDir: string, id: string, runs: readonly RunHeadline[], pruned: readonly string[], keepRuns: number | undefined): string[] {
  const path = shownPath(runsDir)
  const lines = [`History    ${path}/${id}/ · ${runs.length} run${runs.length === 1 ? '' : 's'} kept, listed in ${path}/index.html${pruned.length ? ` · ${pruned.length} older deleted (MMLU_KEEP_RUNS=${keepRuns})` : ''}`]
  const prev = previousOfSameInputs(runs).get(id)
  if (prev) lines.push(`           vs the previous run of the same inputs: ${compareCommand(path, prev.id, id)}`)
  return lines
}

/** The opening of a results file, where writeResults puts the run's creation time. */
const HEAD_BYTES = 256
const opensAs = (head: string, results: ResultsFile) => head.includes(`"createdAt": ${JSON.stringify(results.createdAt)}`)

/**
 * The history's results file: a copy of the one the reporter wrote. Another
 * run writing the same MMLU_RESULTS may have replaced that one meanwhile; a
 * copy that is not of this run (its opening names another creation time) is
 * written again from `results`.
 */
async function keepResults(resultsFile: string, results: ResultsFile, to: string): Promise<void> {
  await copyFileAtomic(resultsFile, to)
  const f = await open(to, 'r')
  const { buffer, bytesRead } = await f.read(Buffer.alloc(HEAD_BYTES), 0, HEAD_BYTES, 0).finally(() => f.close())
  if (!opensAs(buffer.toString('utf8', 0, bytesRead), results)) await writeResults(to, results)
}

function keepResultsSync(resultsFile: string, results: ResultsFile, to: string): void {
  copyFileAtomicSync(resultsFile, to)
  const head = Buffer.alloc(HEAD_BYTES)
  const fd = openSync(to, 'r')
  let bytesRead: number
  try {
    bytesRead = readSync(fd, head, 0, HEAD_BYTES, 0)
  } finally {
    closeSync(fd)
  }
  if (!opensAs(head.toString('utf8', 0, bytesRead), results)) writeResultsSync(to, results)
}

/**
 * Keeps the run in the history: its results (a copy of `resultsFile`), its
 * page, then its headline (a folder without one is not listed). The headline
 * goes through a rename, so a folder never holds half of one; when any of it
 * fails (a full disk), the folder goes, so nothing is left half kept.
 */
async function keepRun(resultsFile: string, results: ResultsFile, opts: RunPagesOptions, rendered: () => Promise<string>): Promise<{ id: string; lines: string[] }> {
  const runsDir = runsFolder(resultsFile)
  const { id, dir } = await createRunFolder(runsDir, runId(results.createdAt, results.config.model))
  let page: string
  try {
    const file = join(dir, RUN_RESULTS_FILE)
    await keepResults(resultsFile, results, file)
    page = await writeSummaryPage(file, results, undefined, { history: { index: '../index.html' } }, rendered())
    const headline = { ...headlineOf(results, id), ...(page.startsWith('Summary    not written') ? { page: false as const } : {}) }
    await writeFileAtomic(join(dir, HEADLINE_FILE), `${JSON.stringify(headline, null, 1)}\n`)
  } catch (e) {
    await rm(dir, { recursive: true, force: true }).catch(() => {})
    throw e
  }
  const pruned = opts.keepRuns !== undefined ? await pruneRuns(runsDir, opts.keepRuns) : []
  // The run is kept from here on: a failed index costs the index only (the next run rewrites it).
  const runs = await writeRunsIndex(runsDir).catch((e: Error) => e)
  if (runs instanceof Error) return { id, lines: [`History    ${shownPath(runsDir)}/${id}/ kept; the index ${shownPath(runsDir)}/index.html was not rewritten: ${runs.message}`] }
  const lines = keptLines(runsDir, id, runs, pruned, opts.keepRuns)
  if (page.startsWith('Summary    not written')) lines.push(`           its page: ${page.replace(/^Summary\s+/, '')}`)
  return { id, lines }
}

const keptNone = (runsDir: string, deleted: number) => `History    not kept (MMLU_KEEP_RUNS=0); ${deleted} earlier run${deleted === 1 ? '' : 's'} deleted from ${shownPath(runsDir)}/`

/** MMLU_KEEP_RUNS=0 keeps none, as `npm run runs -- --keep 0` does: earlier kept runs are deleted too. */
async function keepNone(runsDir: string): Promise<string[]> {
  try {
    const pruned = await pruneRuns(runsDir, 0)
    if (pruned.length === 0) return []
    await writeRunsIndex(runsDir)
    return [keptNone(runsDir, pruned.length)]
  } catch (e) {
    return [`History    the kept runs in ${runsDir} were not deleted (MMLU_KEEP_RUNS=0): ${(e as Error).message}`]
  }
}

/**
 * Writes the summary page beside the results JSON and keeps the run in the
 * history. `resultsFile` holds `results` already (the reporter wrote it): the
 * history keeps a copy of it. Returns the terminal lines: where the page is,
 * where the run is kept.
 */
export async function writeRunPages(resultsFile: string, results: ResultsFile, opts: RunPagesOptions): Promise<string[]> {
  const lines: string[] = []
  let kept: string | undefined
  const titles = opts.titles ? { titles: opts.titles } : {}
  // One render for both folders. The history's copy has no links into the
  // Vitest HTML report (the next run overwrites that report), so with them
  // the copy is a render of its own.
  const rendered = renderSummaryTemplate(results, opts.links, titles)
  rendered.catch(() => {}) // its failure is reported by the page that waits for it
  const unlinked = opts.links ? () => renderSummaryTemplate(results, undefined, titles) : () => rendered
  if (opts.keep && opts.keepRuns !== 0 && answeredAny(results)) {
    try {
      const k = await keepRun(resultsFile, results, opts, unlinked)
      kept = k.id
      for (const line of k.lines) lines.push(line)
    } catch (e) {
      lines.push(`History    this run was not kept in ${runsFolder(resultsFile)}: ${(e as Error).message}`)
    }
  } else if (opts.keep && opts.keepRuns === 0) {
    for (const line of await keepNone(runsFolder(resultsFile))) lines.push(line)
  }
  const summary = await writeSummaryPage(
    resultsFile,
    results,
    opts.links,
    kept ? { history: { index: `runs/index.html`, run: `runs/${encodeURIComponent(kept)}/index.html` } } : {},
    rendered,
  )
  return [summary, ...lines]
}

/**
 * An interrupted run's answers, kept synchronously (the process exits right
 * after): its results (a copy of `resultsFile`, which holds `results`) and
 * headline, no page (the charts need an async load).
 */
export function keepInterruptedRun(resultsFile: string, results: ResultsFile, keepRuns: number | undefined): string[] {
  const runsDir = runsFolder(resultsFile)
  if (keepRuns === 0) {
    try {
      const pruned = pruneRunsSync(runsDir, 0)
      if (pruned.length) writeRunsIndexSync(runsDir)
      return pruned.length ? [keptNone(runsDir, pruned.length)] : []
    } catch (e) {
      return [`History    the kept runs in ${runsDir} were not deleted (MMLU_KEEP_RUNS=0): ${(e as Error).message}`]
    }
  }
  if (!answeredAny(results)) return []
  try {
    const { id, dir } = createRunFolderSync(runsDir, runId(results.createdAt, results.config.model))
    try {
      keepResultsSync(resultsFile, results, join(dir, RUN_RESULTS_FILE))
      writeFileAtomicSync(join(dir, HEADLINE_FILE), `${JSON.stringify({ ...headlineOf(results, id), page: false }, null, 1)}\n`)
    } catch (e) {
      rmSync(dir, { recursive: true, force: true })
      throw e
    }
    const pruned = keepRuns !== undefined ? pruneRunsSync(runsDir, keepRuns) : []
    return keptLines(runsDir, id, writeRunsIndexSync(runsDir), pruned, keepRuns)
  } catch (e) {
    return [`History    this run was not kept in ${runsDir}: ${(e as Error).message}`]
  }
}
