// One multiple-choice question, whichever file and dialect it came from.
// MMLU's questions have four options (A-D); a question set of your own may
// have 2 to 10 (A-J), e.g. MMLU-Pro's ten.

// The letters live with the record, below every stage (src/base/record.ts).
import { LETTERS } from '../base/record.js'
import type { Letter } from '../base/record.js'
export { LETTERS }
export type { Letter }

export const MIN_OPTIONS = 2
export const MAX_OPTIONS = LETTERS.length
/** MMLU's questions: four options, A-D. */
export const MMLU_OPTIONS = 4

/** The letters of a question with `n` options: A, B, … */
export function lettersOf(n: number): Letter[] {
  return LETTERS.slice(0, n)
}

export function isLetter(v: unknown): v is Letter {
  return (LETTERS as readonly unknown[]).includes(v)
}

export type Split = 'dev' | 'val' | 'test'

/** One question, whichever CSV dialect it came from. */
export interface Question {
  /** The subject (MMLU) or topic (a question set of your own) it belongs to. */
  subject: string
  split: Split
  /** 0-based position in its split file (the header row, if any, is not counted). */
  index: number
  question: string
  /** 2 to 10 options; MMLU's have 4. */
  choices: string[]
  answer: Letter
}
