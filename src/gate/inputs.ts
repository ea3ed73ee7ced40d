// What a subject's answers depend on besides the model, recorded with each
// run so the baseline gate can refuse to pair runs that asked different things.
import { fingerprintQuestions, fingerprintText } from '../dataset/fingerprint.js'
import type { Question } from '../dataset/question.js'
import { fewShotPrefix, formatQuestion } from '../prompt.js'
import type { SubjectInputs } from '../results.js'

/** A stand-in test question: it renders the question template without any real question. */
const TEMPLATE_PROBE = { question: '{question}', choices: ['{A}', '{B}', '{C}', '{D}'] }

/**
 * `sha256:` of the subject's few-shot prefix at `shots` (header, template and
 * the dev examples) followed by the question template. Equal hashes and equal
 * test questions (the data fingerprint) mean equal prompts, question by
 * question, whatever MMLU_LIMIT asked; prompts cut to fewer shots to fit a
 * context are caught per question (QuestionRecord.shots).
 */
export function promptHash(subject: string, dev: readonly Question[], shots: number, title?: string): string {
  return fingerprintText(fewShotPrefix(subject, dev, shots, title) + formatQuestion(TEMPLATE_PROBE))
}

export function subjectInputs(subject: string, dev: readonly Question[], test: readonly Question[], shots: number, title?: string): SubjectInputs {
  return { shots, promptHash: promptHash(subject, dev, shots, title), dataFingerprint: fingerprintQuestions(test) }
}
