// Content fingerprints of MMLU question lists: what a run's data was, whichever
// CSV dialect or copy it came from. The baseline gate refuses to compare runs
// whose data differ, and downloads can be checked against a known value.
//
// Definition (version 1), exact so that anyone can recompute it:
//   fingerprint = "sha256:" + lowercase hex SHA-256 of the UTF-8 bytes of
//     concat over the questions in file order of
//       JSON.stringify([question, choiceA, choiceB, …, answerLetter]) + "\n"
//   (MMLU's four choices; a question set of your own may have 2 to 10)
// - The texts are the fields exactly as the CSV reader returns them: no
//   trimming, no Unicode or line-ending normalisation (a CR inside a field is
//   content: the model sees it in the prompt).
// - The answer is the letter (A-D for MMLU), so the original dialect (letters) and the
//   Hugging Face dialect (indexes 0-3) give the same fingerprint; the header
//   row, a BOM, quoting and the line ending between records are CSV syntax,
//   not content, and do not count.
// - The subject, the split and the index are not hashed: the caller knows
//   which file it fingerprints; the order of the rows is hashed.
// - JSON.stringify escapes quotes, backslashes, control characters and lone
//   surrogates deterministically, so no two different rows serialise alike.
import { createHash } from 'node:crypto'
import type { Question } from './question.js'

/** The parts of a question the fingerprint covers. */
export type FingerprintedQuestion = Pick<Question, 'question' | 'choices' | 'answer'>

/** The serialisation hashed for one question (see the definition above). */
export function fingerprintRow(q: FingerprintedQuestion): string {
  return `${JSON.stringify([q.question, ...q.choices, q.answer])}\n`
}

/** `sha256:<hex>` of the questions' normalised rows, in order. */
export function fingerprintQuestions(questions: readonly FingerprintedQuestion[]): string {
  const hash = createHash('sha256')
  for (const q of questions) hash.update(fingerprintRow(q), 'utf8')
  return `sha256:${hash.digest('hex')}`
}

/** `sha256:<hex>` of a text's UTF-8 bytes (e.g. a prompt template). */
export function fingerprintText(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`
}
