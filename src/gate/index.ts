// The regression gate: thresholds and the baseline comparison, combined into
// one verdict that decides (with errors) the run's exit code.
// `loadGate` reads the files before the run starts, so a bad thresholds or
// baseline file stops it at once instead of after hours of questions;
// `evaluateGate` is pure.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Options } from '../config/options.js'
import type { ResultsFile } from '../run/results.js'
import type { BaselineComparison, BaselineRefusal } from '../analysis/paired.js'
import { compareWithBaseline } from '../analysis/paired.js'
import { GateConfigError } from '../base/file-errors.js'
import { parseResultsFile } from '../run/results-read.js'
import type { ThresholdReport, Thresholds } from './thresholds.js'
import { checkLabel, checkThresholds, parseThresholds } from './thresholds.js'

export interface GateSettings {
  thresholds?: Thresholds
  baseline?: { file: string; results: ResultsFile }
  alpha: number
  tolerance?: number
}

export interface GateVerdict {
  thresholds?: ThresholdReport
  baseline?: BaselineComparison | BaselineRefusal
  failed: boolean
  /** One phrase per failure, for the exit message. */
  reasons: string[]
}

async function readSetting(env: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new GateConfigError({
      file: path,
      problem: code === 'ENOENT' ? 'file not found' : `cannot be read (${(e as Error).message})`,
      fix: `set ${env} to an existing file, or unset it to skip this gate`,
    })
  }
}

/** Reads and validates the gate's files; throws a GateConfigError naming the file and the fix. */
export async function loadGate(options: Pick<Options, 'thresholdsFile' | 'baselineFile' | 'resultsFile' | 'alpha' | 'tolerance'>, root: string, topics: readonly string[] = []): Promise<GateSettings | undefined> {
  if (!options.thresholdsFile && !options.baselineFile) return undefined
  const settings: GateSettings = { alpha: options.alpha, ...(options.tolerance !== undefined ? { tolerance: options.tolerance } : {}) }
  if (options.thresholdsFile) {
    const file = resolve(root, options.thresholdsFile)
    // Errors name the absolute path; verdicts show the path as the user wrote it.
    settings.thresholds = { ...parseThresholds(await readSetting('MMLU_THRESHOLDS', file), file, topics), file: options.thresholdsFile }
  }
  if (options.baselineFile) {
    const file = resolve(root, options.baselineFile)
    if (file === resolve(root, options.resultsFile)) {
      throw new GateConfigError({
        file,
        problem: 'MMLU_BASELINE is the file this run writes its results to (MMLU_RESULTS), so the run would overwrite its own baseline',
        fix: 'keep the baseline elsewhere: MMLU_BASELINE=<file> npm run baseline:accept copies a results file there',
      })
    }
    settings.baseline = { file: options.baselineFile, results: parseResultsFile(await readSetting('MMLU_BASELINE', file), file) }
  }
  return settings
}

export function evaluateGate(settings: GateSettings, results: ResultsFile): GateVerdict {
  const verdict: GateVerdict = { failed: false, reasons: [] }
  if (settings.thresholds) {
    const report = checkThresholds(settings.thresholds, results)
    verdict.thresholds = report
    const n = report.breaches.length
    if (n) verdict.reasons.push(`${n} threshold${n === 1 ? '' : 's'} breached (${report.breaches.map(checkLabel).join(', ')})`)
  }
  if (settings.baseline) {
    const comparison = compareWithBaseline(settings.baseline.results, results, settings.baseline.file, {
      alpha: settings.alpha,
      ...(settings.tolerance !== undefined ? { tolerance: settings.tolerance } : {}),
    })
    verdict.baseline = comparison
    if (comparison.kind === 'refused') verdict.reasons.push('the baseline comparison was refused (the runs asked different prompts or data)')
    else if (comparison.regressions.length) verdict.reasons.push(`regression against the baseline (${comparison.regressions.map((r) => r.name).join(', ')})`)
  }
  verdict.failed = verdict.reasons.length > 0
  return verdict
}

export type { BaselineComparison, BaselineRefusal, FlippedQuestion, PairedComparison, Verdict } from '../analysis/paired.js'
export { compareWithBaseline, formatP, holmAdjust } from '../analysis/paired.js'
export { GateConfigError } from '../base/file-errors.js'
export { parseResultsFile } from '../run/results-read.js'
export type { ThresholdCheck, ThresholdReport, Thresholds } from './thresholds.js'
export { checkLabel, checkThresholds, parseThresholds } from './thresholds.js'
