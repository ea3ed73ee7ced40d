// Question records → per-subject and run summaries. Pure: the reporter feeds
// it what the tests recorded (and what it knows of the files), and renders
// what comes out.
//
// Counting rules, the same in every output:
// - answered (`total`) = correct + wrong + invalid: the model's answers (an
//   invalid one is the model's, and counts as not correct); accuracy =
//   correct ÷ answered;
// - errors (asked, no answer came back) and not-asked questions (the run
//   could not put them to the model) are not the model's answers: outside
//   every accuracy, counted beside it, and the run exits 1; with questions
//   not asked, or a dead worker's never reached, the subject is `partial`
//   ("84 of 166 asked");
// - cached answers count like fresh ones but carry no timing; timings come
//   from fresh answers only;
// - with trials or rotated options, each ask is one answer: accuracy is over
//   every answer, but intervals count each question once (clusteredAccuracy),
//   and the spread across trials and the rotation figures come beside them.
import type { Category } from '../dataset/subjects.js'
import { CATEGORIES, isSubject, SUBJECTS } from '../dataset/subjects.js'
import { MMLU_OPTIONS } from '../dataset/question.js'
import type { RotationSummary } from '../analysis/rotation.js'
import { rotationSummary } from '../analysis/rotation.js'
import type { TrialSpread } from '../analysis/trials.js'
import { trialSpread } from '../analysis/trials.js'
import type { QuestionRecord } from '../base/record.js'
import { isTimed, questionKey } from '../base/record.js'
import type { Interval, Stratum, Tally } from '../base/stats.js'
import { clusteredAccuracy, macroAccuracy, macroInterval, mean, microAccuracy, percentile, stderrOfProportion, stratifiedEstimate, wilson } from '../base/stats.js'

export interface LatencySummary {
  mean: number
  p50: number
  p95: number
}

/** complete: every question of the file asked; partial: some were not; not-run: the file asked nothing. */
export type SubjectStatus = 'complete' | 'partial' | 'not-run'

/** What the reporter knows of a subject file besides its records. */
export interface SubjectFacts {
  /** Questions the file holds (after MMLU_LIMIT); undefined when unknown. */
  planned?: number
  /** Few-shot examples the run asked for: answers with fewer count as reduced. */
  shots?: number
  /** Cached answers found unusable and asked again, by reason (malformed, stale, …). */
  cacheIgnored?: Readonly<Record<string, number>>
  /** The subject's category when it is not an MMLU subject (a topic's own). */
  category?: string
  /** MMLU_SAMPLE: the questions the sample was drawn from (see SubjectSummary.population). */
  population?: number
}

export interface SubjectSummary {
  subject: string
  /** MMLU's category, a topic's own, or `unknown`. */
  category: Category | string
  status: SubjectStatus
  /** Questions the file holds; null when unknown (a file that never started). */
  planned: number | null
  correct: number
  /** Questions answered: correct + wrong + invalid, what the accuracy is over (errors and not asked are outside it). */
  total: number
  wrong: number
  invalid: number
  errors: number
  /** Not put to the model (e.g. its server was unreachable): outside the accuracy. */
  notAsked: number
  /** Answers taken from the answer cache (excluded from every timing). */
  cached: number
  /** Fresh answers, each with its timing: what latency and q/s are computed from. */
  timed: number
  /** Questions asked with fewer few-shot examples than the run asked for, to fit the model's context. */
  reducedShots: number
  /** Cached answers ignored and asked again, by reason. */
  cacheIgnored: Record<string, number>
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
  /** With trials or rotated options: the distinct questions asked (each `total` answer is one ask of one of them). */
  questionsAsked?: number
  /** MMLU_TRIALS > 1: the spread across trials, majority vote and agreement. */
  trials?: TrialSpread
  /** MMLU_ROTATE=on: accuracy per rotation, circular accuracy and consistency. */
  rotation?: RotationSummary
  /** MMLU_SAMPLE: the subject's questions the sample was drawn from; it weighs this much in the run's micro and category figures. */
  population?: number
}

export interface CategorySummary {
  /** MMLU's four first, then topics' own categories. */
  category: Category | string
  correct: number
  total: number
  accuracy: number
  ci95: Interval
}

export interface RunSummary {
  /** Subjects with at least one question asked. */
  subjects: number
  /** Questions answered (see SubjectSummary.total): the accuracy's denominator. */
  questions: number
  correct: number
  wrong: number
  invalid: number
  errors: number
  notAsked: number
  cached: number
  timed: number
  reducedShots: number
  cacheIgnored: Record<string, number>
  /** Subjects cut short, and subjects that asked nothing. */
  partialSubjects: string[]
  notRunSubjects: string[]
  /**
   * Every question weighs the same (lm-eval's group average). With
   * MMLU_SAMPLE, the estimate of the full set's: each subject weighs its
   * questions in the full set, not in the sample (see `population`).
   */
  microAccuracy: number
  microCi95: Interval
  /** Every subject weighs the same (the model-card convention). */
  macroAccuracy: number
  /** See stats.ts macroInterval. */
  macroCi95: Interval
  categories: CategorySummary[]
  /** The run as a whole, start to end. */
  wallMs: number
  /** Σ of the subject files' own times; ÷ wall = how much they overlapped. */
  sumFileMs: number
  overlap: number
  latencyMs: LatencySummary
  questionsPerSecond: number
  /** Facts a reader must not miss (a model that always gives one letter, an accuracy indistinguishable from chance). Notes, not errors. */
  notes: string[]
  /** With trials or rotated options: distinct questions asked (`questions` counts every ask). */
  questionsAsked?: number
  /** MMLU_SAMPLE: the full set's questions (Σ of the subjects' populations) the micro and category figures are weighted to. */
  population?: number
  trials?: TrialSpread
  rotation?: RotationSummary
}

const ASKED = new Set(['correct', 'wrong', 'invalid', 'error'])
const isAsked = (r: QuestionRecord) => ASKED.has(r.outcome)
/** The model's answers: what every accuracy is over. */
const isAnswered = (r: QuestionRecord) => isAsked(r) && r.outcome !== 'error'

/** Whether any question was asked more than once (trials, rotations): then answers cluster by question. */
function hasVariants(records: readonly QuestionRecord[]): boolean {
  return records.some((r) => r.trial !== undefined || r.rotation !== undefined)
}

/** Each asked question's answers: the clusters of clusteredAccuracy. */
function questionTallies(records: readonly QuestionRecord[]): Tally[] {
  const byQuestion = new Map<string, Tally>()
  for (const r of records) {
    if (!isAnswered(r)) continue
    const key = questionKey(r)
    const t = byQuestion.get(key) ?? { correct: 0, total: 0 }
    t.total++
    if (r.outcome === 'correct') t.correct++
    byQuestion.set(key, t)
  }
  return [...byQuestion.values()]
}

/** What trials and rotations add to a summary; nothing for a run that asked each question once. */
function variantFigures(records: readonly QuestionRecord[]): Pick<SubjectSummary, 'questionsAsked' | 'trials' | 'rotation'> {
  if (!hasVariants(records)) return {}
  const trials = trialSpread(records)
  const rotation = rotationSummary(records)
  return { questionsAsked: questionTallies(records).length, ...(trials ? { trials } : {}), ...(rotation ? { rotation } : {}) }
}

function latency(records: readonly QuestionRecord[]): LatencySummary {
  const xs = records.filter(isTimed).map((r) => r.latencyMs)
  return { mean: mean(xs), p50: percentile(xs, 50), p95: percentile(xs, 95) }
}

function span(records: readonly QuestionRecord[]): number {
  let start = Infinity
  let end = -Infinity
  for (const r of records) {
    if (!isTimed(r)) continue
    start = Math.min(start, r.startedAt)
    end = Math.max(end, r.startedAt + r.latencyMs)
  }
  return end > start ? end - start : 0
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>> | undefined): Record<string, number> {
  for (const [k, n] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + n
  return into
}

export function summarizeSubject(subject: string, records: readonly QuestionRecord[], fileMs: number, facts: SubjectFacts = {}): SubjectSummary {
  let correct = 0
  let wrong = 0
  let invalid = 0
  let errors = 0
  let notAsked = 0
  let cached = 0
  let reducedShots = 0
  let promptTokens = 0
  let evaluatedTokens = 0
  for (const r of records) {
    if (r.outcome === 'not-asked') {
      notAsked++
      continue
    }
    if (r.cached) cached++
    else {
      promptTokens += r.promptTokens
      evaluatedTokens += r.evaluatedTokens
    }
    if (facts.shots !== undefined && r.outcome !== 'error' && r.shots < facts.shots) reducedShots++
    if (r.outcome === 'correct') correct++
    else if (r.outcome === 'wrong') wrong++
    else if (r.outcome === 'invalid') invalid++
    else errors++
  }
  const total = correct + wrong + invalid
  const timed = records.filter(isTimed).length
  const wallMs = span(records)
  const planned = facts.planned ?? null
  const status: SubjectStatus = records.length === 0 ? 'not-run' : notAsked > 0 || (planned !== null && total + errors < planned) ? 'partial' : 'complete'
  // N asks of one question are not N independent answers: the interval counts each question once.
  const clustered = hasVariants(records) ? clusteredAccuracy(questionTallies(records)) : undefined
  return {
    subject,
    category: isSubject(subject) ? SUBJECTS[subject].category : (facts.category ?? 'unknown'),
    status,
    planned,
    correct,
    total,
    wrong,
    invalid,
    errors,
    notAsked,
    cached,
    timed,
    reducedShots,
    cacheIgnored: addCounts({}, facts.cacheIgnored),
    accuracy: total ? correct / total : NaN,
    ci95: clustered?.ci95 ?? wilson(correct, total),
    stderr: clustered?.stderr ?? stderrOfProportion(correct, total),
    wallMs,
    fileMs,
    latencyMs: latency(records),
    questionsPerSecond: wallMs > 0 ? timed / (wallMs / 1000) : NaN,
    promptTokens,
    evaluatedTokens,
    ...variantFigures(records),
    ...(facts.population !== undefined ? { population: facts.population } : {}),
  }
}

/** Chance accuracy of the answered questions: the mean of one over each question's options (MMLU: 25%). */
export function chanceAccuracy(records: readonly QuestionRecord[]): number {
  const asked = records.filter(isAnswered)
  return asked.length ? mean(asked.map((r) => 1 / (r.options ?? MMLU_OPTIONS))) : 1 / MMLU_OPTIONS
}

/** The notes a run's summary carries (see RunSummary.notes). */
export function runNotes(records: readonly QuestionRecord[], answered: number, correct: number, ci95: Interval, accuracy = correct / answered): string[] {
  const chance = chanceAccuracy(records)
  const notes: string[] = []
  const letters = new Map<string, number>()
  for (const r of records) if (isAsked(r) && r.given !== null) letters.set(r.given, (letters.get(r.given) ?? 0) + 1)
  const given = [...letters.values()].reduce((a, b) => a + b, 0)
  if (letters.size === 1 && given >= 2) {
    const [letter] = [...letters.keys()]
    const without = answered - given
    notes.push(`all ${given} answers are ${letter}${without ? ` (${without} more gave no letter)` : ''}: the model is not choosing between the options`)
  }
  if (answered > 0 && ci95.low <= chance && chance <= ci95.high) {
    notes.push(
      `accuracy ${(accuracy * 100).toFixed(1)}% [${(ci95.low * 100).toFixed(1)}, ${(ci95.high * 100).toFixed(1)}] includes chance (${+(chance * 100).toFixed(1)}%): ` +
        'this run cannot tell the model from guessing',
    )
  }
  return notes
}

/** A subject as a stratum of a sample: its tally (effective with trials or rotations) and its population (its own questions when it was asked whole). */
function stratum(s: SubjectSummary, variants: boolean, bySubject: ReadonlyMap<string, readonly QuestionRecord[]>): Stratum {
  const population = s.population ?? s.questionsAsked ?? s.total
  if (!variants) return { correct: s.correct, total: s.total, population }
  const c = clusteredAccuracy(questionTallies(bySubject.get(s.subject) ?? []))
  return { correct: c.effectiveN ? c.accuracy * c.effectiveN : 0, total: c.effectiveN, population, drawn: s.questionsAsked ?? s.total }
}

export function summarizeRun(subjects: readonly SubjectSummary[], records: readonly QuestionRecord[], wallMs: number): RunSummary {
  const variants = hasVariants(records)
  // Each subject's records, gathered once: a filter per subject and category was 57 passes over 140,420 records.
  const bySubject = new Map<string, QuestionRecord[]>()
  if (variants) {
    for (const r of records) {
      const own = bySubject.get(r.subject)
      if (own) own.push(r)
      else bySubject.set(r.subject, [r])
    }
  }
  const recordsOf = (names: readonly string[]): QuestionRecord[] => {
    const out: QuestionRecord[] = []
    for (const name of names) for (const r of bySubject.get(name) ?? []) out.push(r)
    return out
  }
  // With trials or rotations an interval counts each question once (see clusteredAccuracy).
  const interval = (subjectNames: readonly string[], correct: number, total: number): Interval => {
    if (!variants) return wilson(correct, total)
    return clusteredAccuracy(questionTallies(recordsOf([...new Set(subjectNames)]))).ci95
  }
  // MMLU_SAMPLE: a group's accuracy and interval estimate the full set's, each subject weighted by its population.
  const weighted = subjects.some((s) => s.population !== undefined)
  const estimate = (group: readonly SubjectSummary[], correct: number, total: number): { accuracy: number; ci95: Interval } =>
    weighted ? stratifiedEstimate(group.map((s) => stratum(s, variants, bySubject))) : { accuracy: total ? correct / total : NaN, ci95: interval(group.map((s) => s.subject), correct, total) }
  const categories: CategorySummary[] = []
  const own = [...new Set(subjects.map((s) => s.category))].filter((c) => !(CATEGORIES as readonly string[]).includes(c) && c !== 'unknown')
  for (const category of [...CATEGORIES, ...own]) {
    const group = subjects.filter((s) => s.category === category && s.total > 0)
    if (group.length === 0) continue
    const correct = group.reduce((n, s) => n + s.correct, 0)
    const total = group.reduce((n, s) => n + s.total, 0)
    categories.push({ category, correct, total, ...estimate(group, correct, total) })
  }
  const sum = (f: (s: SubjectSummary) => number) => subjects.reduce((n, s) => n + f(s), 0)
  const correct = sum((s) => s.correct)
  const questions = sum((s) => s.total)
  const sumFileMs = sum((s) => s.fileMs)
  const timed = records.filter(isTimed).length
  const micro = estimate(subjects, correct, questions)
  const microCi95 = micro.ci95
  // The macro interval weighs each subject by what its answers are worth (its effective sample size).
  const macroTallies = variants
    ? subjects.map((s) => {
        const c = clusteredAccuracy(questionTallies(bySubject.get(s.subject) ?? []))
        return { correct: c.effectiveN ? c.accuracy * c.effectiveN : 0, total: c.effectiveN }
      })
    : subjects
  return {
    subjects: subjects.filter((s) => s.total > 0).length,
    questions,
    correct,
    wrong: sum((s) => s.wrong),
    invalid: sum((s) => s.invalid),
    errors: sum((s) => s.errors),
    notAsked: sum((s) => s.notAsked),
    cached: sum((s) => s.cached),
    timed,
    reducedShots: sum((s) => s.reducedShots),
    cacheIgnored: subjects.reduce((acc, s) => addCounts(acc, s.cacheIgnored), {} as Record<string, number>),
    partialSubjects: subjects.filter((s) => s.status === 'partial').map((s) => s.subject),
    notRunSubjects: subjects.filter((s) => s.status === 'not-run').map((s) => s.subject),
    microAccuracy: weighted ? micro.accuracy : microAccuracy(subjects),
    microCi95,
    macroAccuracy: macroAccuracy(subjects),
    macroCi95: macroInterval(macroTallies),
    categories,
    wallMs,
    sumFileMs,
    overlap: wallMs > 0 ? sumFileMs / wallMs : NaN,
    latencyMs: latency(records),
    questionsPerSecond: wallMs > 0 && timed > 0 ? timed / (wallMs / 1000) : NaN,
    notes: runNotes(records, questions, correct, microCi95, weighted ? micro.accuracy : correct / questions),
    ...variantFigures(records),
    ...(weighted ? { population: subjects.reduce((n, s) => n + (s.total > 0 ? (s.population ?? s.total) : 0), 0) } : {}),
  }
}
