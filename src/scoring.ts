// Turning an engine's output into an answer letter. Pure, engine-agnostic.
import type { RawAnswer } from './backends/backend.js'
import type { Letter, Question } from './dataset/question.js'
import { LETTERS } from './dataset/question.js'
import type { LetterProbabilities, Outcome, QuestionRecord } from './record.js'

export type { LetterProbabilities } from './record.js'

/**
 * The version of the scoring rules below. Raise it whenever a change could
 * turn an engine's reply into another letter or outcome: the answer cache keys
 * on it, so answers scored by older rules are asked again.
 * 2: no letter is invalid (not A); the letter's token form follows the prompt format.
 */
export const SCORING_VERSION = 2

/** A letter read from an engine's answer, or why none could be. */
export type LetterReading = { letter: Letter; reason?: undefined } | { letter: null; reason: string }

/**
 * Argmax over the four letters, as lm-eval compares their log-likelihoods;
 * ties go to the earlier letter. No letter at all is not a letter: when none
 * has a positive probability (a server's top log-probs list none of them) or
 * a value is not a probability (NaN, infinite, negative: a broken model), the
 * answer is invalid with the reason, never "A".
 */
export function letterFromProbabilities(p: LetterProbabilities): LetterReading {
  const broken = LETTERS.filter((l) => !(Number.isFinite(p[l]) && p[l] >= 0))
  if (broken.length) return { letter: null, reason: `not a probability: ${broken.map((l) => `${l} ${p[l]}`).join(', ')}` }
  let best: Letter | null = null
  for (const l of LETTERS) if (p[l] > 0 && (best === null || p[l] > p[best])) best = l
  return best === null ? { letter: null, reason: 'no probability for any of the letters A-D (none among the tokens the engine returned)' } : { letter: best }
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

function readLetter(raw: RawAnswer): LetterReading {
  if (raw.probabilities) return letterFromProbabilities(raw.probabilities)
  const letter = letterFromText(raw.text)
  return letter ? { letter } : { letter: null, reason: `no letter A-D at the start of the reply or after "Answer:" in ${JSON.stringify(raw.text.slice(0, 80))}` }
}

/** An engine's raw reply to a question → its record: the letter, the outcome, what it cost. */
export function scoreAnswer(question: Question, raw: RawAnswer, shots: number): QuestionRecord {
  const read = readLetter(raw)
  const given = read.letter
  const outcome: Outcome = given === null ? 'invalid' : given === question.answer ? 'correct' : 'wrong'
  return {
    subject: question.subject,
    index: question.index,
    expected: question.answer,
    given,
    outcome,
    probabilities: raw.probabilities,
    ...(raw.letterForm !== undefined ? { letterForm: raw.letterForm } : {}),
    text: raw.text,
    shots,
    promptTokens: raw.promptTokens,
    evaluatedTokens: raw.evaluatedTokens,
    completionTokens: raw.completionTokens,
    startedAt: raw.startedAt,
    latencyMs: raw.latencyMs,
    ...(read.reason !== undefined ? { invalidReason: read.reason } : {}),
    ...(raw.server !== undefined ? { server: raw.server } : {}),
  }
}
