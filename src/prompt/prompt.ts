// The lm-evaluation-harness MMLU prompt, byte for byte (tasks/mmlu/default):
//   description: "The following are multiple choice questions (with answers) about {subject}.\n\n"
//   doc_to_text: "{{question.strip()}}\nA. {{choices[0]}}\nB. …\nD. {{choices[3]}}\nAnswer:"
//   target_delimiter " ", fewshot_delimiter "\n\n", examples = first k dev rows.
// The few-shot prefix and the question suffix are kept apart because engines
// that reuse the evaluated prefix (llama.cpp sequences, server prompt caches)
// want to know where the shared part ends.
import type { Letter, Question } from '../dataset/question.js'
import { LETTERS, lettersOf, MMLU_OPTIONS } from '../dataset/question.js'
import { subjectTitle } from '../dataset/subjects.js'

export const MAX_SHOTS = 5

export interface Prompt {
  /** Subject header plus the k worked examples; identical for every question of a subject. */
  prefix: string
  /** The question itself, ending in `Answer:`. */
  suffix: string
  /** Number of few-shot examples in `prefix`. */
  shots: number
  /** The question's answer letters; absent: MMLU's A-D. */
  letters?: readonly Letter[]
  /** The header and examples `prefix` is made of, for a chat dialogue (chatMessages); absent: the prompt is one message. */
  fewShot?: FewShot
  /**
   * Generate scoring at a temperature above 0 (MMLU_TEMPERATURE): the engine
   * samples with this temperature and seed, over the whole vocabulary (no
   * top-k or top-p). Absent: greedy, as every engine answers by default.
   */
  sampling?: Sampling
}

export interface Sampling {
  temperature: number
  /** This ask's own seed (variants.ts askSeed), a non-negative 31-bit integer. */
  seed: number
}

/** A subject's few-shot examples, each a question (ending in `Answer:`) and its letter, after the header. */
export interface FewShot {
  header: string
  examples: readonly { question: string; answer: Letter }[]
}

/** One turn of a chat request, as Ollama's /api/chat and OpenAI's chat completions take it. */
export interface ChatMessage {
  role: 'user' | 'assistant'
  content: string
}

const MMLU_LETTERS = lettersOf(MMLU_OPTIONS)

/** The letters a prompt's question can be answered with. */
export function promptLetters(p: Pick<Prompt, 'letters'>): readonly Letter[] {
  return p.letters ?? MMLU_LETTERS
}

// Python's str.strip() removes exactly the characters for which str.isspace()
// is true; JavaScript's trim() differs (it strips U+FEFF, keeps U+001C–U+001F, U+0085).
const PY_SPACE = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]'
const PY_STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'g')

export function pyStrip(s: string): string {
  return s.replace(PY_STRIP, '')
}

/** `title`: how the subject is named in the header; by default its name with underscores as spaces (lm-eval's rule). */
export function header(subject: string, title = subjectTitle(subject)): string {
  return `The following are multiple choice questions (with answers) about ${title}.\n\n`
}

/** One question in the harness's `doc_to_text` form, one letter line per option, ending in `Answer:`. */
export function formatQuestion(q: Pick<Question, 'question' | 'choices'>): string {
  const lines = q.choices.map((choice, i) => `${LETTERS[i]}. ${choice}`)
  return `${pyStrip(q.question)}\n${lines.join('\n')}\nAnswer:`
}

export function fewShot(subject: string, dev: readonly Question[], shots: number, title?: string): FewShot {
  if (!Number.isInteger(shots) || shots < 0 || shots > MAX_SHOTS) throw new RangeError(`shots must be 0-${MAX_SHOTS}, got ${shots}`)
  if (dev.length < shots) throw new RangeError(`${shots}-shot needs ${shots} dev questions for ${subject}, found ${dev.length}`)
  return { header: header(subject, title), examples: dev.slice(0, shots).map((e) => ({ question: formatQuestion(e), answer: e.answer })) }
}

/** The few-shot prefix as text: the header, then each example followed by ` {letter}` and a blank line. */
export function fewShotText(f: FewShot): string {
  let out = f.header
  for (const e of f.examples) out += `${e.question} ${e.answer}\n\n`
  return out
}

export function fewShotPrefix(subject: string, dev: readonly Question[], shots: number, title?: string): string {
  return fewShotText(fewShot(subject, dev, shots, title))
}

/**
 * The prompt as chat turns (MMLU_PROMPT_FORMAT=chat), as Meta's Llama 3
 * evaluations present few-shot examples: each example a user turn (the
 * header opens the first) and its letter the assistant's reply, then the
 * question as the last user turn. Without examples (0-shot, or a prompt built
 * without `fewShot`) it is one user message, the prompt's whole text.
 */
export function chatMessages(p: Prompt): ChatMessage[] {
  const examples = p.fewShot?.examples ?? []
  if (!p.fewShot || examples.length === 0) return [{ role: 'user', content: promptText(p) }]
  const header = p.fewShot.header
  return [
    ...examples.flatMap((e, i): ChatMessage[] => [
      { role: 'user', content: (i === 0 ? header : '') + e.question },
      { role: 'assistant', content: e.answer },
    ]),
    { role: 'user', content: p.suffix },
  ]
}

export function buildPrompt(subject: string, dev: readonly Question[], question: Question, shots: number): Prompt {
  const f = fewShot(subject, dev, shots)
  return { prefix: fewShotText(f), suffix: formatQuestion(question), shots, fewShot: f, ...questionLetters(question) }
}

/** A prompt's `letters` field: absent for MMLU's four options, so MMLU prompts stay as they were. */
export function questionLetters(q: Pick<Question, 'choices'>): { letters?: Letter[] } {
  return q.choices.length === MMLU_OPTIONS ? {} : { letters: lettersOf(q.choices.length) }
}

export function promptText(p: Prompt): string {
  return p.prefix + p.suffix
}

/** The text the model should continue with for each letter, as lm-eval scores it. */
export function continuation(letter: Letter): string {
  return ` ${letter}`
}
