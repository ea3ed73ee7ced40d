// Accepting a run as the new baseline: check the results file, then copy it,
// byte for byte, to the baseline path. Runs with errors or an interruption are
// refused unless forced: a baseline with holes would make later runs look
// better than they are on exactly those questions.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { ResultsFile } from '../run/results.js'
import { GateConfigError } from '../base/file-errors.js'
import { parseResultsFile } from '../run/results-read.js'

export interface AcceptRequest {
  /** The run to accept (a results JSON). */
  from: string
  /** Where the baseline lives (what MMLU_BASELINE points at). */
  to: string
  /** Accept a run that had errors or was interrupted. */
  force?: boolean
}

export interface Accepted {
  from: string
  to: string
  results: ResultsFile
  /** The baseline it replaced, if there was a readable one. */
  previous?: ResultsFile
}

const describe = (r: ResultsFile) => {
  const s = r.summary
  return `${r.config.model} · ${r.config.shots}-shot · ${s.correct}/${s.questions} correct (${((s.correct / s.questions) * 100).toFixed(1)}%) in ${s.subjects} subjects · ${r.createdAt}`
}

export async function acceptBaseline(req: AcceptRequest): Promise<Accepted> {
  const from = resolve(req.from)
  const to = resolve(req.to)
  if (from === to) throw new GateConfigError({ file: to, problem: 'the run to accept is already the baseline file', fix: 'pass the results file of a new run, or a different baseline path' })
  const text = await readFile(from, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new GateConfigError({
      file: from,
      problem: e.code === 'ENOENT' ? 'no results file here' : `cannot be read (${e.message})`,
      fix: 'run the eval first (it writes MMLU_RESULTS, default reports/mmlu-results.json), or pass --from <results.json>',
    })
  })
  const results = parseResultsFile(text, from)
  if (results.records.length === 0) throw new GateConfigError({ file: from, problem: 'the run has no answered questions', fix: 'accept a run that asked questions' })
  if (results.status !== 'passed' && !req.force) {
    throw new GateConfigError({
      file: from,
      problem: `the run ${results.status === 'interrupted' ? 'was interrupted' : 'had errors'} (status "${results.status}"), so its baseline would miss answers`,
      fix: 'fix the errors and run again, or pass --force to accept it anyway',
    })
  }
  if (!results.config.inputs) {
    throw new GateConfigError({ file: from, problem: 'the run records no prompt hashes or data fingerprints (written by an older version)', fix: 'run the eval again with this version' })
  }
  const previous = await readFile(to, 'utf8').then(
    (t) => {
      try {
        return parseResultsFile(t, to)
      } catch {
        return undefined
      }
    },
    () => undefined,
  )
  await mkdir(dirname(to), { recursive: true })
  const tmp = `${to}.${process.pid}.tmp`
  await writeFile(tmp, text)
  await rename(tmp, to)
  return { from, to, results, ...(previous ? { previous } : {}) }
}

export function describeAccepted(a: Accepted): string {
  const lines = [`Baseline   ${a.to}`, `now        ${describe(a.results)}`]
  lines.push(a.previous ? `replaced   ${describe(a.previous)}` : 'replaced   nothing (new baseline)')
  return lines.join('\n')
}
