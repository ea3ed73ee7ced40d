// The ways one subject's questions are asked besides once each, as written:
// - a seeded random sample of them (MMLU_SAMPLE), instead of the first N (MMLU_LIMIT);
// - several trials of each (MMLU_TRIALS), each with its own seed, for sampling (MMLU_TEMPERATURE);
// - each rotated through its options (MMLU_ROTATE), so the right answer sits once under each letter.
// Each question × trial × rotation is one test and one record; a record
// carries `trial` / `rotation` only when those options are on, so a default
// run is exactly as before. Pure.
import type { Letter, Question } from '../dataset/question.js'
import { LETTERS } from '../dataset/question.js'
import { deriveSeed, seededPermutation } from '../base/random.js'

/** Which ask of a question a test is: absent fields mean the option is off. */
export interface Variant {
  /** 1 … MMLU_TRIALS, when MMLU_TRIALS > 1. */
  trial?: number
  /** 0 … n−1 when MMLU_ROTATE=on: every option moved this many letters down (A→B for 1), wrapping round. 0 is the question as written. */
  rotation?: number
}

/** MMLU_SAMPLE: this many questions of each subject, or this share of each. */
export type SampleSize = { count: number } | { fraction: number }

/** How a run asks each subject's questions (from the options). */
export interface VariantPlan {
  trials: number
  rotate: boolean
  /** Sampling temperature; 0 is greedy. */
  temperature: number
  seed: number
}

/** `MMLU_SAMPLE=20` → 20 questions; `0.1` → a tenth, rounded, at least one. */
export function sampleCount(size: SampleSize, available: number): number {
  if (available === 0) return 0
  return 'count' in size ? Math.min(size.count, available) : Math.min(available, Math.max(1, Math.round(size.fraction * available)))
}

export function describeSample(size: SampleSize): string {
  return 'count' in size ? `${size.count} per subject` : `${+(size.fraction * 100).toFixed(2)}% of each subject`
}

/**
 * A seeded random sample of a subject's questions, in their file order. The
 * subject's questions are shuffled by a permutation that depends only on the
 * seed and the subject, and the sample is its first k: the same seed gives the
 * same questions, and a smaller sample is always part of a larger one.
 */
export function sampleQuestions<T extends { index: number }>(questions: readonly T[], subject: string, size: SampleSize, seed: number): T[] {
  const k = sampleCount(size, questions.length)
  const order = seededPermutation(questions.length, deriveSeed(seed, 'sample', subject))
  return order
    .slice(0, k)
    .map((i) => questions[i] as T)
    .sort((a, b) => a.index - b.index)
}

/**
 * The question with its options rotated by `r`: option i moves to position
 * (i + r) mod n, and the key with it. Over r = 0 … n−1 the right answer sits
 * once under each letter; the question text is unchanged.
 */
export function rotateQuestion(q: Question, r: number): Question {
  const n = q.choices.length
  if (r % n === 0) return q
  const choices = new Array<string>(n)
  q.choices.forEach((c, i) => (choices[(i + r) % n] = c))
  const key = LETTERS.indexOf(q.answer)
  return { ...q, choices, answer: LETTERS[(key + r) % n] as Letter }
}

/** The option (its index as written) that a letter given under rotation `r` stands for. */
export function originalOption(given: Letter, r: number, n: number): number {
  return (((LETTERS.indexOf(given) - r) % n) + n) % n
}

/**
 * Every ask of one question, in order: trial by trial, each through its
 * rotations. A question that is not `rotatable` (its options point at other
 * options by position, src/prompt/option-references.ts) is asked as written only,
 * with no `rotation`, so the rotation figures leave it out.
 */
export function questionVariants(plan: Pick<VariantPlan, 'trials' | 'rotate'>, options: number, rotatable = true): Variant[] {
  const trials: (number | undefined)[] = plan.trials > 1 ? Array.from({ length: plan.trials }, (_, i) => i + 1) : [undefined]
  const rotations: (number | undefined)[] = plan.rotate && rotatable ? Array.from({ length: options }, (_, i) => i) : [undefined]
  return trials.flatMap((trial) => rotations.map((rotation) => ({ ...(trial !== undefined ? { trial } : {}), ...(rotation !== undefined ? { rotation } : {}) })))
}

/** Tests a subject of `available` questions (MMLU's 4 options each) will hold: after MMLU_LIMIT or MMLU_SAMPLE, × trials × rotations. */
export function plannedAsks(available: number, o: { limit?: number | undefined; sample?: SampleSize | undefined; trials: number; rotate: boolean }): number {
  const questions = o.sample ? sampleCount(o.sample, available) : o.limit === undefined ? available : Math.min(o.limit, available)
  return questions * asksPerQuestion(o, 4)
}

/** Tests (asks) per question: trials × rotations. */
export function asksPerQuestion(plan: Pick<VariantPlan, 'trials' | 'rotate'>, options: number): number {
  return Math.max(1, plan.trials) * (plan.rotate ? options : 1)
}

/**
 * The seed of one ask: from MMLU_SEED, the question and the variant, so every
 * question, trial and rotation draws from its own stream (one seed for every
 * request would give every question of a trial the same first draw, and the
 * trials' accuracies a spread the model does not have).
 */
export function askSeed(seed: number, subject: string, index: number, v: Variant): number {
  return deriveSeed(seed, 'ask', subject, index, v.trial ?? 1, v.rotation ?? 0)
}

/** ` (trial 2/5, rotation +1)`: how a test name tells its variant; empty for a plain ask. */
export function variantLabel(v: Variant, trials: number): string {
  const parts = [v.trial !== undefined ? `trial ${v.trial}/${trials}` : '', v.rotation !== undefined ? `rotation +${v.rotation}` : ''].filter(Boolean)
  return parts.length ? `(${parts.join(', ')})` : ''
}
