// Everything beyond accuracy that a run's records say, computed once: the
// reporter stores it in the results JSON, and the terminal, Markdown and HTML
// renderers and the compare command all show this, never their own sums.
import type { QuestionRecord } from '../record.js'
import type { Calibration, SubjectCalibration } from './calibration.js'
import { calibrate, calibrateSubjects } from './calibration.js'
import type { LetterBias } from './letter-bias.js'
import { letterBias } from './letter-bias.js'
import { lettersUsed } from './letters.js'

export interface RunAnalysis {
  /** Log-prob runs only: absent when no record has probabilities. */
  calibration?: Calibration & { subjects: SubjectCalibration[] }
  /** Absent when nothing was answered. */
  letterBias?: LetterBias
}

export function analyzeRun(records: readonly QuestionRecord[]): RunAnalysis {
  const letters = lettersUsed(records)
  const calibration = calibrate(records, letters)
  const bias = letterBias(records, letters)
  return {
    ...(calibration ? { calibration: { ...calibration, subjects: calibrateSubjects(records, letters) } } : {}),
    ...(bias ? { letterBias: bias } : {}),
  }
}

/** A results file's analysis: the one it stores, else (files from before it was stored) computed from its records. */
export function analysisOf(results: { analysis?: RunAnalysis; records: readonly QuestionRecord[] }): RunAnalysis {
  return results.analysis ?? analyzeRun(results.records)
}
