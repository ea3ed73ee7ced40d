// Question records → per-subject and run summaries. Pure: the reporter feeds
// it what the tests recorded, and renders what comes out.
import type { Category } from './dataset/subjects.js'
import { CATEGORIES, isSubject, SUBJECTS } from './dataset/subjects.js'
import type { QuestionRecord } from './record.js'
import type { Interval } from './stats.js'
import { macroAccuracy, mean, microAccuracy, percentile, stderrOfProportion, wilson } from './stats.js'

export interface LatencySummary {
  mean: number
  p50: number
  p95: number
}

export interface SubjectSummary {
  subject: string
  category: Category | 'unknown'
  correct: number
  total: number
  wrong: number
  invalid: number
  errors: number
  /** Answers taken from the answer cache (excluded from every timing). */
  cached: number
  accuracy: number
  ci95: Interval
  stderr: number
  /** First question start → last question end: the subject's own wall time, model load excluded. */
  wallMs: number
  /** The whole file as Vitest timed it, model load included. */
  fileMs: number
  latencyMs: LatencySummary
  questionsPerSecond: number
  promptTokens: number
  evaluatedTokens: number
}

export interface CategorySummary {
  category: Category
  correct: number
  total: number
  accuracy: number
  ci95: Interval
}

export interface RunSummary {
  subjects: number
  questions: number
  correct: number
  wrong: number
  invalid: number
  errors: number
  cached: number
  /** Every question weighs the same (lm-eval's group average). */
  microAccuracy: number
  microCi95: Interval
  /** Every subject weighs the same (the model-card convention). */
  macroAccuracy: number
  categories: CategorySummary[]
  /** The run as a whole, start to end. */
  wallMs: number
  /** Σ of the subject files' own times; ÷ wall = how much they overlapped. */
  sumFileMs: number
  overlap: number
  latencyMs: LatencySummary
  questionsPerSecond: number
}

/** Timings are only those of fresh answers: cached ones cost nothing this run. */
const timed = (r: QuestionRecord) => r.outcome !== 'error' && !r.cached

function latency(records: readonly QuestionRecord[]): LatencySummary {
  const xs = records.filter(timed).map((r) => r.latencyMs)
  return { mean: mean(xs), p50: percentile(xs, 50), p95: percentile(xs, 95) }
}

function span(records: readonly QuestionRecord[]): number {
  let start = Infinity
  let end = -Infinity
  for (const r of records) {
    if (r.cached) continue
    start = Math.min(start, r.startedAt)
    end = Math.max(end, r.startedAt + r.latencyMs)
  }
  return end > start ? end - start : 0
}

export function summarizeSubject(subject: string, records: readonly QuestionRecord[], fileMs: number): SubjectSummary {
  let correct = 0
  let wrong = 0
  let invalid = 0
  let errors = 0
  let cached = 0
  let promptTokens = 0
  let evaluatedTokens = 0
  for (const r of records) {
    if (r.cached) {
      cached++
    } else {
      promptTokens += r.promptTokens
      evaluatedTokens += r.evaluatedTokens
    }
    if (r.outcome === 'correct') correct++
    else if (r.outcome === 'wrong') wrong++
    else if (r.outcome === 'invalid') invalid++
    else errors++
  }
  const total = records.length
  const wallMs = span(records)
  return {
    subject,
    category: isSubject(subject) ? SUBJECTS[subject].category : 'unknown',
    correct,
    total,
    wrong,
    invalid,
    errors,
    cached,
    accuracy: total ? correct / total : NaN,
    ci95: wilson(correct, total),
    stderr: stderrOfProportion(correct, total),
    wallMs,
    fileMs,
    latencyMs: latency(records),
    questionsPerSecond: wallMs > 0 ? (total - errors - cached) / (wallMs / 1000) : NaN,
    promptTokens,
    evaluatedTokens,
  }
}

export function summarizeRun(subjects: readonly SubjectSummary[], records: readonly QuestionRecord[], wallMs: number): RunSummary {
  const categories: CategorySummary[] = []
  for (const category of CATEGORIES) {
    const group = subjects.filter((s) => s.category === category)
    if (group.length === 0) continue
    const correct = group.reduce((n, s) => n + s.correct, 0)
    const total = group.reduce((n, s) => n + s.total, 0)
    categories.push({ category, correct, total, accuracy: total ? correct / total : NaN, ci95: wilson(correct, total) })
  }
  const sum = (f: (s: SubjectSummary) => number) => subjects.reduce((n, s) => n + f(s), 0)
  const correct = sum((s) => s.correct)
  const questions = sum((s) => s.total)
  const sumFileMs = sum((s) => s.fileMs)
  const errors = sum((s) => s.errors)
  const cached = sum((s) => s.cached)
  return {
    subjects: subjects.filter((s) => s.total > 0).length,
    questions,
    correct,
    wrong: sum((s) => s.wrong),
    invalid: sum((s) => s.invalid),
    errors,
    cached,
    microAccuracy: microAccuracy(subjects),
    microCi95: wilson(correct, questions),
    macroAccuracy: macroAccuracy(subjects),
    categories,
    wallMs,
    sumFileMs,
    overlap: wallMs > 0 ? sumFileMs / wallMs : NaN,
    latencyMs: latency(records),
    questionsPerSecond: wallMs > 0 ? (questions - errors - cached) / (wallMs / 1000) : NaN,
  }
}
