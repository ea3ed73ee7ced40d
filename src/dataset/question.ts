import type { Subject } from './subjects.js'

export const LETTERS = ['A', 'B', 'C', 'D'] as const
export type Letter = (typeof LETTERS)[number]

export type Split = 'dev' | 'val' | 'test'

/** One MMLU question, whichever CSV dialect it came from. */
export interface Question {
  subject: Subject
  split: Split
  /** 0-based position in its split file (the header row, if any, is not counted). */
  index: number
  question: string
  choices: [string, string, string, string]
  answer: Letter
}
