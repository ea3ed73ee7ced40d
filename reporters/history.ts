// After a run: the summary page beside the results JSON, and the run kept in
// the history (src/run-history.ts) with its own page, headline and the index
// of every run. What goes wrong here costs pages, never the run: the results
// JSON is already written, and each failure is one line saying why.
import { writeFileSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ResultsFile } from '../src/results.js'
import { shownPath } from '../src/shown-path.js'
import { writeResults, writeResultsSync } from '../src/results.js'
import type { RunHeadline } from '../src/run-history.js'
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
} from '../src/run-history.js'
import type { ReportLinks } from './render/html.js'
import { writeSummaryPage } from './render/html.js'
import { compareCommand, previousOfSameInputs, renderRunsIndex } from './render/history.js'

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


/** Rewrites runs/index.html from the headlines there. */
export async function writeRunsIndex(runsDir: string): Promise<RunHeadline[]> {
  const runs = await listRuns(runsDir)
  const file = join(runsDir, 'index.html')
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, renderRunsIndex(runs, shownPath(runsDir)))
  await rename(tmp, file)
  return runs
}

function writeRunsIndexSync(runsDir: string): RunHeadline[] {
  const runs = listRunsSync(runsDir)
  writeFileSync(join(runsDir, 'index.html'), renderRunsIndex(runs, shownPath(runsDir)))
  return runs
}

function keptLines(runsDir: string, id: string, runs: readonly RunHeadline[], pruned: readonly string[], keepRuns: number | undefined): string[] {
  const path = shownPath(runsDir)
  const lines = [`History    ${path}/${id}/ · ${runs.length} run${runs.length === 1 ? '' : 's'} kept, listed in ${path}/index.html${pruned.length ? ` · ${pruned.length} older deleted (MMLU_KEEP_RUNS=${keepRuns})` : ''}`]
  const prev = previousOfSameInputs(runs).get(id)
  if (prev) lines.push(`           vs the previous run of the same inputs: ${compareCommand(path, prev.id, id)}`)
  return lines
}

/** Keeps the run in the history: its results, its page, then its headline (a folder without one is not listed). */
async function keepRun(resultsFile: string, results: ResultsFile, opts: RunPagesOptions): Promise<{ id: string; lines: string[] }> {
  const runsDir = runsFolder(resultsFile)
  const { id, dir } = await createRunFolder(runsDir, runId(results.createdAt, results.config.model))
  const file = join(dir, RUN_RESULTS_FILE)
  await writeResults(file, results)
  const page = await writeSummaryPage(file, results, undefined, { ...(opts.titles ? { titles: opts.titles } : {}), history: { index: '../index.html' } })
  await writeFile(join(dir, HEADLINE_FILE), `${JSON.stringify(headlineOf(results, id), null, 1)}\n`)
  const pruned = opts.keepRuns !== undefined ? await pruneRuns(runsDir, opts.keepRuns) : []
  const runs = await writeRunsIndex(runsDir)
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
 * history. Returns the terminal lines: where the page is, where the run is kept.
 */
export async function writeRunPages(resultsFile: string, results: ResultsFile, opts: RunPagesOptions): Promise<string[]> {
  const lines: string[] = []
  let kept: string | undefined
  if (opts.keep && opts.keepRuns !== 0 && answeredAny(results)) {
    try {
      const k = await keepRun(resultsFile, results, opts)
      kept = k.id
      lines.push(...k.lines)
    } catch (e) {
      lines.push(`History    this run was not kept in ${runsFolder(resultsFile)}: ${(e as Error).message}`)
    }
  } else if (opts.keep && opts.keepRuns === 0) {
    lines.push(...(await keepNone(runsFolder(resultsFile))))
  }
  const summary = await writeSummaryPage(resultsFile, results, opts.links, {
    ...(opts.titles ? { titles: opts.titles } : {}),
    ...(kept ? { history: { index: `runs/index.html`, run: `runs/${encodeURIComponent(kept)}/index.html` } } : {}),
  })
  return [summary, ...lines]
}

/**
 * An interrupted run's answers, kept synchronously (the process exits right
 * after): its results and headline, no page (the charts need an async load).
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
    writeResultsSync(join(dir, RUN_RESULTS_FILE), results)
    writeFileSync(join(dir, HEADLINE_FILE), `${JSON.stringify({ ...headlineOf(results, id), page: false }, null, 1)}\n`)
    const pruned = keepRuns !== undefined ? pruneRunsSync(runsDir, keepRuns) : []
    return keptLines(runsDir, id, writeRunsIndexSync(runsDir), pruned, keepRuns)
  } catch (e) {
    return [`History    this run was not kept in ${runsDir}: ${(e as Error).message}`]
  }
}
