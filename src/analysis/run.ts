// Everything beyond accuracy that a run's records say, computed once: the
// reporter stores it in the results JSON, and the terminal, Markdown and HTML
// renderers and the compare command all show this, never their own sums.
import type { QuestionRecord } from '../base/record.js'
import type { Calibration, SubjectCalibration } from './calibration.js'
import { calibrateRun } from './calibration.js'
import type { LetterBias } from './letter-bias.js'
import { isCurrentLetterBias, letterBias } from './letter-bias.js'
import { lettersUsed } from './letters.js'

export interface RunAnalysis {
  /** Log-prob runs only: absent when no record has probabilities. */
  calibration?: Calibration & { subjects: SubjectCalibration[] }
  /** Absent when nothing was answered. */
  letterBias?: LetterBias
  /** Analyses that threw: each is left out and named here, never stopping the results from being written. */
  failed?: { analysis: string; error: string }[]
}

/** One analysis, or why it failed: a record no check caught must cost that figure, not the run's results. */
function attempt<T>(analysis: string, failed: NonNullable<RunAnalysis['failed']>, compute: () => T): T | undefined {
  try {
    return compute()
  } catch (e) {
    failed.push({ analysis, error: e instanceof Error ? e.message : String(e) })
    return undefined
  }
}

export function analyzeRun(records: readonly QuestionRecord[]): RunAnalysis {
  const failed: NonNullable<RunAnalysis['failed']> = []
  const letters = attempt('letters', failed, () => lettersUsed(records)) ?? []
  const calibration = attempt('calibration', failed, () => calibrateRun(records, letters))
  const bias = attempt('letter bias', failed, () => letterBias(records, letters))
  return {
    ...(calibration ? { calibration } : {}),
    ...(bias ? { letterBias: bias } : {}),
    ...(failed.length ? { failed } : {}),
  }
}

/**
 * A results file's analysis: the one it stores, else (files from before it was
 * stored) computed from its records. A stored letter bias from before the
 * no-preference test tested the wrong null, so it is recomputed too.
 */
export function analysisOf(results: { analysis?: RunAnalysis; records: readonly QuestionRecord[] }): RunAnalysis {
  const stored = results.analysis
  if (!stored) return analyzeRun(results.records)
  if (isCurrentLetterBias(stored.letterBias)) return stored
  const bias = letterBias(results.records, lettersUsed(results.records))
  const { letterBias: _old, ...rest } = stored
  return { ...rest, ...(bias ? { letterBias: bias } : {}) }
}
