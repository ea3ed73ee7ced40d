// MMLU_SPEEDUP_BASELINE: the results of a sequential run on the same machine,
// read before a run starts (a missing or damaged file stops it at once, with
// the file and the fix), then compared with the run at its end.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { GateConfigError } from '../base/file-errors.js'
import { parseResultsFile } from '../run/results-read.js'
import { DEFINITIONS } from '../config/options.js'
import type { RunMeasure } from './measure.js'
import { measureRun } from './measure.js'

export interface SpeedupBaseline {
  /** As the user wrote it. */
  file: string
  measure: RunMeasure
}

export async function loadSpeedupBaseline(file: string, root: string): Promise<SpeedupBaseline> {
  const path = resolve(root, file)
  const env = DEFINITIONS.speedupBaselineFile.env
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new GateConfigError({
      file: path,
      problem: e.code === 'ENOENT' ? 'file not found' : `cannot be read (${e.message})`,
      fix: `set ${env} to the results JSON of a sequential run (MMLU_RESULTS=reports/sequential.json npm run eval:sequential), or unset it`,
    })
  })
  const measure = measureRun(parseResultsFile(text, path))
  if (measure.questions === 0) {
    throw new GateConfigError({ file: path, problem: 'the baseline has no timed questions (only errors or cached answers)', fix: `point ${env} at a run that answered its questions (MMLU_CACHE=off)` })
  }
  return { file, measure }
}
