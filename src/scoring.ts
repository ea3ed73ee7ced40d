// Turning an engine's output into an answer letter. Pure, engine-agnostic.
import type { RawAnswer } from './backends/backend.js'
import type { Letter, Question } from './dataset/question.js'
import { LETTERS } from './dataset/question.js'
import type { LetterProbabilities, Outcome, QuestionRecord } from './record.js'

export type { LetterProbabilities } from './record.js'

/** Argmax over the four letters, as lm-eval compares their log-likelihoods. Ties go to the earlier letter. */
export function letterFromProbabilities(p: LetterProbabilities): Letter {
  let best: Letter = 'A'
  for (const l of LETTERS) if (p[l] > p[best]) best = l
  return best
}

/**
 * Generated text → letter. Tried in order, the first match wins:
 *  1. the text opens with the letter: optional spaces, `(` or `[`, then A-D not
 *     followed by another letter or digit (" B", "B.", "(C)", "D) because…");
 *  2. an explicit "Answer: X" / "answer is X" anywhere (OpenAI simple-evals'
 *     `(?i)Answer[ \t]*:[ \t]*\$?([A-D])\$?`, widened to "answer is").
 * Anything else is invalid: no letter, counted apart from wrong answers.
 * Known blind spot: prose that opens with the article "A " ("A lot of…") reads
 * as answer A. Greedy continuations of `Answer:` almost always start with the
 * letter, so we accept that rather than guess at English.
 */
export const LEADING_LETTER = /^\s*[([]?\s*([ABCD])(?![A-Za-z0-9])/
// Case-insensitive on the word only: a lowercase 'a' is an article, not an answer.
export const ANSWER_PHRASE = /(?:[Aa]nswer|ANSWER)(?:[ \t]*:|[ \t]+is)[ \t]*[([]?\$?([ABCD])(?![A-Za-z0-9])/

export function letterFromText(text: string): Letter | null {
  const m = LEADING_LETTER.exec(text) ?? ANSWER_PHRASE.exec(text)
  return m ? (m[1] as Letter) : null
}

/** An engine's raw reply to a question → its record: the letter, the outcome, what it cost. */
export function scoreAnswer(question: Question, raw: RawAnswer, shots: number): QuestionRecord {
  const given = raw.probabilities ? letterFromProbabilities(raw.probabilities) : letterFromText(raw.text)
  const outcome: Outcome = given === null ? 'invalid' : given === question.answer ? 'correct' : 'wrong'
  return {
    subject: question.subject,
    index: question.index,
    expected: question.answer,
    given,
    outcome,
    probabilities: raw.probabilities,
    text: raw.text,
    shots,
    promptTokens: raw.promptTokens,
    evaluatedTokens: raw.evaluatedTokens,
    completionTokens: raw.completionTokens,
    startedAt: raw.startedAt,
    latencyMs: raw.latencyMs,
  }
}
