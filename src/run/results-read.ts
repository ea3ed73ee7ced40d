// Reads a results JSON back (a baseline, or a run to accept as one), checking
// the parts the gate relies on so a wrong or damaged file is a clear error
// instead of a misleading comparison.
import { existsSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { isLetter } from '../dataset/question.js'
import { RUN_RESULTS_FILE } from './kept-runs.js'
import { shownPath } from './shown-path.js'
import type { ResultsFile } from './results.js'
import { RESULTS_SCHEMA_VERSION } from './results.js'
import { GateConfigError, parseJsonFile } from '../base/file-errors.js'

const OUTCOMES = ['correct', 'wrong', 'invalid', 'error', 'not-asked']
const FIX = 'point it at a results JSON written by the MMLU reporter (MMLU_RESULTS, default reports/mmlu-results.json)'

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function parseResultsFile(text: string, file: string): ResultsFile {
  const data = parseJsonFile(text, file, FIX)
  const fail = (problem: string, fix = FIX): never => {
    throw new GateConfigError({ file, problem, fix })
  }
  if (!isObject(data) || !Array.isArray(data.records) || !isObject(data.config)) fail('not an MMLU results file (no "records" list or "config")')
  const results = data as unknown as ResultsFile
  if (results.schema !== RESULTS_SCHEMA_VERSION) fail(`results schema ${JSON.stringify(results.schema)} is not supported (this version reads schema ${RESULTS_SCHEMA_VERSION})`, 're-run the baseline with this version and accept it again')
  results.records.forEach((r, i) => {
    const ok =
      isObject(r) &&
      typeof r.subject === 'string' &&
      Number.isInteger(r.index) &&
      OUTCOMES.includes(r.outcome) &&
      isLetter(r.expected) &&
      (r.given === null || isLetter(r.given)) &&
      Number.isInteger(r.shots) &&
      (r.trial === undefined || (Number.isInteger(r.trial) && r.trial >= 1)) &&
      (r.rotation === undefined || (Number.isInteger(r.rotation) && r.rotation >= 0))
    if (!ok) fail(`record ${i} is not a question record (needs subject, index, expected, given, outcome, shots): ${JSON.stringify(r).slice(0, 200)}`)
  })
  if (!Array.isArray(results.provenance)) results.provenance = []
  return results
}

/** A run folder (reports/runs/<id>/) stands for the results JSON in it. */
export function resultsPathOf(arg: string): string {
  const path = resolve(arg)
  return existsSync(path) && statSync(path).isDirectory() ? join(path, RUN_RESULTS_FILE) : path
}

/** A results JSON or a kept run folder named on a command line (compare, leaderboard), read and checked; `file` as typed from here. */
export async function readRunArg(arg: string): Promise<{ file: string; results: ResultsFile }> {
  const file = resultsPathOf(arg)
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new GateConfigError({
      file,
      problem: e.code === 'ENOENT' ? 'file not found' : `cannot be read (${e.message})`,
      fix: 'pass a results JSON (reports/mmlu-results.json) or a kept run folder (reports/runs/<time>-<model>/); npm run runs lists them',
    })
  })
  return { file: shownPath(file), results: parseResultsFile(text, file) }
}
