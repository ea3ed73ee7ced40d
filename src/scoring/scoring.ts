// Turning an engine's output into an answer letter. Pure, engine-agnostic.
import type { RawAnswer } from '../base/record.js'
import type { Letter, Question } from '../dataset/question.js'
import { LETTERS, lettersOf, MMLU_OPTIONS } from '../dataset/question.js'
import type { Sampling } from '../prompt/prompt.js'
import { seededRandom } from '../base/random.js'
import type { LetterProbabilities, Outcome, QuestionRecord } from '../base/record.js'

export type { LetterProbabilities } from '../base/record.js'

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
 * Argmax over the question's letters (the keys given, A-D for MMLU), as
 * lm-eval compares their log-likelihoods; ties go to the earlier letter. No
 * letter at all is not a letter: when none has a positive probability (a
 * server's top log-probs list none of them) or a value is not a probability
 * (NaN, infinite, negative: a broken model), the answer is invalid with the
 * reason, never "A".
 */
export function letterFromProbabilities(p: LetterProbabilities): LetterReading {
  const letters = LETTERS.filter((l) => l in p)
  const broken = letters.filter((l) => !(Number.isFinite(p[l]) && p[l]! >= 0))
  if (broken.length) return { letter: null, reason: `not a probability: ${broken.map((l) => `${l} ${p[l]}`).join(', ')}` }
  let best: Letter | null = null
  for (const l of letters) if (p[l]! > 0 && (best === null || p[l]! > p[best]!)) best = l
  const range = letters.length ? `${letters[0]}-${letters.at(-1)}` : 'A-D'
  return best === null ? { letter: null, reason: `no probability for any of the letters ${range} (none among the tokens the engine returned)` } : { letter: best }
}

/**
 * Log-prob scoring at a temperature T above 0: the letter is drawn from the
 * question's letters alone, with probabilities p_i^(1/T) renormalised, which
 * is softmax(logit_i / T) over the letters: the model's next token at that
 * temperature, given that it is one of the letters. The draw uses the ask's
 * seed and our own generator, so it is the same on every engine and rerun.
 * Unusable probabilities are invalid for the same reasons as the argmax's.
 */
export function sampleLetter(p: LetterProbabilities, temperature: number, seed: number): LetterReading {
  const argmax = letterFromProbabilities(p)
  if (argmax.letter === null) return argmax
  const letters = LETTERS.filter((l) => l in p && p[l]! > 0)
  const top = Math.log(p[argmax.letter]!)
  const weights = letters.map((l) => Math.exp((Math.log(p[l]!) - top) / temperature))
  let u = seededRandom(seed)() * weights.reduce((a, b) => a + b, 0)
  for (let i = 0; i < letters.length; i++) {
    u -= weights[i]!
    if (u < 0) return { letter: letters[i]! }
  }
  return { letter: letters.at(-1)! }
}

/**
 * Generated text → letter, among the question's letters (A-D for MMLU, up to
 * J for a question set of your own). Tried in order, the first match wins:
 *  1. the text opens with the letter: optional spaces, `(` or `[`, then the
 *     letter not followed by another letter or digit (" B", "B.", "(C)", "D) because…");
 *  2. an explicit "Answer: X" / "answer is X" anywhere (OpenAI simple-evals'
 *     `(?i)Answer[ \t]*:[ \t]*\$?([A-D])\$?`, widened to "answer is").
 * Anything else is invalid: no letter, counted apart from wrong answers. A
 * letter beyond the question's options is not one of its answers ("I think…"
 * opens with I, which only a nine-option question could mean).
 * Known blind spot: prose that opens with the article "A " ("A lot of…") reads
 * as answer A. Greedy continuations of `Answer:` almost always start with the
 * letter, so we accept that rather than guess at English.
 */
export function letterPatterns(letters: readonly Letter[] = MMLU_LETTERS): { leading: RegExp; phrase: RegExp } {
  const set = `[${letters.join('')}]`
  return {
    leading: new RegExp(`^\\s*[([]?\\s*(${set})(?![A-Za-z0-9])`),
    // Case-insensitive on the word only: a lowercase 'a' is an article, not an answer.
    phrase: new RegExp(`(?:[Aa]nswer|ANSWER)(?:[ \\t]*:|[ \\t]+is)[ \\t]*[([]?\\$?(${set})(?![A-Za-z0-9])`),
  }
}

const MMLU_LETTERS = lettersOf(MMLU_OPTIONS)
const MMLU_PATTERNS = letterPatterns(MMLU_LETTERS)

export function letterFromText(text: string, letters: readonly Letter[] = MMLU_LETTERS): Letter | null {
  const { leading, phrase } = letters === MMLU_LETTERS ? MMLU_PATTERNS : letterPatterns(letters)
  const m = leading.exec(text) ?? phrase.exec(text)
  return m ? (m[1] as Letter) : null
}

function readLetter(raw: RawAnswer, letters: readonly Letter[], sampling: Sampling | undefined): LetterReading {
  // Only the question's own letters: a server may list " E" for a four-option question.
  const own = raw.probabilities && Object.fromEntries(letters.filter((l) => l in raw.probabilities!).map((l) => [l, raw.probabilities![l]]))
  if (own) return sampling && sampling.temperature > 0 ? sampleLetter(own, sampling.temperature, sampling.seed) : letterFromProbabilities(own)
  const letter = letterFromText(raw.text, letters)
  const range = `${letters[0]}-${letters.at(-1)}`
  return letter ? { letter } : { letter: null, reason: `no letter ${range} at the start of the reply or after "Answer:" in ${JSON.stringify(raw.text.slice(0, 80))}` }
}

/**
 * An engine's raw reply to a question → its record: the letter, the outcome,
 * what it cost. `sampling`: the ask's temperature and seed; with log-prob
 * scoring above 0 the letter is drawn (sampleLetter), not the argmax.
 */
export function scoreAnswer(question: Question, raw: RawAnswer, shots: number, sampling?: Sampling): QuestionRecord {
  const letters = question.choices.length === MMLU_OPTIONS ? MMLU_LETTERS : lettersOf(question.choices.length)
  const read = readLetter(raw, letters, sampling)
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
    ...(question.choices.length !== MMLU_OPTIONS ? { options: question.choices.length } : {}),
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
