// The answer letters a set of records uses. MMLU has four options; other
// question sets may have 2 to 10 (A-J), so analyses take the letters from the
// records instead of assuming A-D.
import { LETTERS } from '../dataset/question.js'
import type { QuestionRecord } from '../base/record.js'

/** 'A' through the highest letter any record names (as key, answer or probability); options are lettered without gaps. */
export function lettersUsed(records: readonly Pick<QuestionRecord, 'expected' | 'given' | 'probabilities'>[]): string[] {
  let highest = -1
  const see = (l: string | null | undefined) => {
    const i = l ? (LETTERS as readonly string[]).indexOf(l) : -1
    if (i > highest) highest = i
  }
  for (const r of records) {
    see(r.expected)
    see(r.given)
    if (r.probabilities) for (const l of Object.keys(r.probabilities)) see(l)
  }
  return LETTERS.slice(0, highest + 1)
}

/** The records whose question the model answered: a letter, or a reply without one (invalid). Errors and questions not asked are not answers. */
export function answered<R extends Pick<QuestionRecord, 'outcome'>>(records: readonly R[]): R[] {
  return records.filter((r) => r.outcome === 'correct' || r.outcome === 'wrong' || r.outcome === 'invalid')
}
