// What a subject's answers depend on besides the model, recorded with each
// run so the baseline gate can refuse to pair runs that asked different things.
import { fingerprintQuestions, fingerprintText } from '../dataset/fingerprint.js'
import type { Question } from '../dataset/question.js'
import type { Options } from '../config/options.js'
import { fewShotPrefix, formatQuestion } from './prompt.js'
import type { TopicFile } from '../dataset/topic.js'
import { describeSample } from './variants.js'

/** What a subject's answers depend on besides the model; a baseline is only compared when these match. */
export interface SubjectInputs {
  shots: number
  /** sha256 of the few-shot prefix and question template (src/prompt/inputs.ts). */
  promptHash: string
  /** sha256 of the subject's whole test split, either CSV dialect (src/dataset/fingerprint.ts). */
  dataFingerprint: string
  /** Why this subject used other shots than the run asked for (a topic without a dev file). */
  shotsNote?: string
  /** A question set of your own: its files, each with its fingerprint. */
  files?: TopicFile[]
  /** MMLU_ROTATE=on (part of the prompt hash too). The fields below are present only when set. */
  rotate?: boolean
  /** With rotate: the prompt hash of the unrotated asks (rotation 0), so runs can be compared on those. */
  unrotatedPromptHash?: string
  /** MMLU_TEMPERATURE above 0. */
  temperature?: number
  /** MMLU_TRIALS above 1: records carry `trial`, and the gate pairs trial with trial. */
  trials?: number
  /** MMLU_SEED, when it decides what is asked or drawn (a sample, trials, a temperature). */
  seed?: number
  /** MMLU_SAMPLE, e.g. `20 per subject`. */
  sample?: string
}

/** What besides the template and examples changes the prompts (hashed) or which answers are drawn (recorded). */
export type AskOptions = Partial<Pick<Options, 'promptFormat' | 'rotate' | 'temperature' | 'trials' | 'seed' | 'sample'>>

/** A stand-in test question: it renders the question template without any real question. */
const TEMPLATE_PROBE = { question: '{question}', choices: ['{A}', '{B}', '{C}', '{D}'] }

/**
 * `sha256:` of the subject's few-shot prefix at `shots` (header, template and
 * the dev examples) followed by the question template. Equal hashes and equal
 * test questions (the data fingerprint) mean equal prompts, question by
 * question, whatever MMLU_LIMIT asked; prompts cut to fewer shots to fit a
 * context are caught per question (QuestionRecord.shots). Rotated options and
 * a chat dialogue are other prompts, so they are part of the hash (only when on,
 * so a default run's hash is as it always was).
 */
export function promptHash(subject: string, dev: readonly Question[], shots: number, title?: string, ask: AskOptions = {}): string {
  // Rotation keeps questions whose options point at others as written; chat sends the examples as turns.
  const marks = `${ask.rotate ? '\0rotated options, kept as written where an option points at others' : ''}${ask.promptFormat === 'chat' ? '\0chat: examples as turns' : ''}`
  return fingerprintText(fewShotPrefix(subject, dev, shots, title) + formatQuestion(TEMPLATE_PROBE) + marks)
}

export function subjectInputs(subject: string, dev: readonly Question[], test: readonly Question[], shots: number, title?: string, ask: AskOptions = {}): SubjectInputs {
  return {
    shots,
    promptHash: promptHash(subject, dev, shots, title, ask),
    dataFingerprint: fingerprintQuestions(test),
    // Recorded only when on: the gate pairs trial with trial and refuses other sampling.
    // With the hash its unrotated asks (rotation 0) would have, so a comparison can pair those with an unrotated run.
    ...(ask.rotate ? { rotate: true, unrotatedPromptHash: promptHash(subject, dev, shots, title, { ...ask, rotate: false }) } : {}),
    ...(ask.temperature ? { temperature: ask.temperature } : {}),
    ...(ask.trials !== undefined && ask.trials > 1 ? { trials: ask.trials } : {}),
    ...(ask.temperature || (ask.trials ?? 1) > 1 || ask.sample ? { seed: ask.seed } : {}),
    ...(ask.sample ? { sample: describeSample(ask.sample) } : {}),
  }
}
