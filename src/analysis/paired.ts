// Paired comparison of a run with a baseline run on the same questions.
// Pure: both runs are ResultsFile objects (see ./results-file.ts to read one).
//
// Questions are paired by subject and index. Only the discordant pairs carry
// information about a change: b questions went right→wrong, c went
// wrong→right. Under "no change" b ~ Binomial(b + c, 1/2), which is the exact
// McNemar test. Per-subject p-values are adjusted with Holm's method across the
// compared subjects, so 57 subjects at α = 0.05 raise a false alarm in at most
// 5% of unchanged runs, not in most of them. The overall test pools every
// paired question and is a single test at α.
//
// Pairing is only meaningful when both runs asked the same prompts about the
// same data, so runs that differ in shots, prompt template, few-shot examples,
// test questions or per-question shot counts are refused, not compared.
//
// Trials and rotations: the asks are paired trial with trial and rotation with
// rotation (recordKey), and runs that sampled differently (temperature,
// number of trials) or rotated differently are refused. N asks of one question
// are not N independent pairs, so the test is then McNemar's over questions:
// each question's paired asks are netted into one sign (worse, better or
// unchanged on the whole), and the worse against the better questions are the
// exact two-sided sign test, which is the exact McNemar test when each
// question is asked once.
import type { Letter } from '../dataset/question.js'
import { questionKey, recordKey } from '../base/record.js'
import type { QuestionRecord, ResultsFile, SubjectInputs } from '../run/results.js'
import { mcnemarExact } from '../base/stats.js'
import { simulatedMismatch } from '../base/simulated.js'

export type Verdict = 'regression' | 'improvement' | 'no significant change'

export interface PairedComparison {
  /** Subject id, or `overall`. */
  name: string
  /** Questions asked in both runs. */
  n: number
  baselineCorrect: number
  currentCorrect: number
  /** b: right in the baseline, not right now (wrong, invalid or error). */
  rightToWrong: number
  /** c: not right in the baseline, right now. */
  wrongToRight: number
  /** Accuracy drop on the paired questions, (b − c) / n; negative is a gain. */
  drop: number
  /** Exact two-sided McNemar p-value of b against c (with trials or rotations: of `questions`' worse against better). */
  pValue: number
  /** Holm-adjusted across subjects; equal to pValue for the overall test. */
  adjustedP: number
  verdict: Verdict
  /** Why a regression: a significant drop, a drop above the tolerance, or both. */
  reasons: string[]
  /**
   * With trials or rotations: the paired questions, and how many got worse or
   * better over all their paired asks; the p-value tests these, since the asks
   * of one question are not independent. Absent when each question was asked once.
   */
  questions?: { n: number; worse: number; better: number }
}

export interface FlippedQuestion {
  subject: string
  index: number
  expected: Letter
  /** The baseline's answer and this run's (null: no letter or an error). */
  before: Letter | null
  after: Letter | null
  /** Which trial and rotation, when the runs asked each question more than once. */
  trial?: number
  rotation?: number
}

export interface ComparisonSettings {
  alpha: number
  /** Largest accuracy drop (fraction) accepted even when not significant; undefined: none. */
  tolerance?: number
  /**
   * Runs with different shots: refused (the gate, default), or compared with
   * the difference as a warning (`npm run compare`: shots are what a user may
   * want to compare).
   */
  differentShots?: 'refuse' | 'warn'
}

export interface BaselineComparison {
  kind: 'compared'
  file: string
  baseline: { createdAt: string; model: string; questions: number }
  alpha: number
  tolerance?: number
  subjects: PairedComparison[]
  overall: PairedComparison
  /** Every flip, by subject (this run's order) then index; renderers show the first N. */
  rightToWrong: FlippedQuestion[]
  wrongToRight: FlippedQuestion[]
  /** Questions asked in only one of the runs (e.g. a different MMLU_LIMIT or subject list). */
  onlyCurrent: number
  onlyBaseline: number
  regressions: PairedComparison[]
  /** Input differences compared anyway (differentShots: 'warn'); absent when none. */
  warnings?: string[]
}

export interface BaselineRefusal {
  kind: 'refused'
  file: string
  reasons: string[]
}

/** p-values to three significant digits, small ones in exponent form. */
// A p below double precision's range underflows to 0: print the bound, not a p of exactly 0.
export const formatP = (p: number): string => (!Number.isFinite(p) ? '–' : p >= 0.001 ? p.toPrecision(3) : p > 0 ? p.toExponential(2) : '< 1e-300')

const key = recordKey
const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12)

/**
 * Holm's step-down adjustment: sort ascending, multiply the i-th smallest
 * (0-based) by (m − i), keep the sequence monotone, cap at 1.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0])
  const adjusted = new Array<number>(m)
  let running = 0
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p))
    adjusted[i] = running
  })
  return adjusted
}

/**
 * One way two runs' inputs differ: `shots` (the examples given), or what makes
 * pairing meaningless: other prompts or data, options rotated on one side only
 * (`rotation`), answers drawn differently (`sampling`: temperature, trials).
 */
export interface InputDifference {
  kind: 'shots' | 'prompt' | 'data' | 'rotation' | 'sampling' | 'unrecorded'
  reason: string
}

/** How two runs' inputs differ, subject by subject, in the order found; empty when they asked the same prompts about the same data. */
export function inputDifferences(
  baseline: Pick<ResultsFile, 'config' | 'records'>,
  current: Pick<ResultsFile, 'config' | 'records'>,
): InputDifference[] {
  const found: InputDifference[] = []
  const before = baseline.config.inputs
  const now = current.config.inputs
  if (!before) return [{ kind: 'unrecorded', reason: 'the baseline records no prompt hash or data fingerprint (it was written by an older version); re-run it and accept it again' }]
  const theirs = new Set(baseline.records.map((r) => r.subject))
  const subjects = [...new Set(current.records.map((r) => r.subject))].filter((s) => theirs.has(s))
  for (const subject of subjects) {
    const b: SubjectInputs | undefined = before[subject]
    const c: SubjectInputs | undefined = now?.[subject]
    if (!b || !c) {
      found.push({ kind: 'unrecorded', reason: `${subject}: ${b ? 'this run' : 'the baseline'} records no prompt hash or data fingerprint for it` })
      continue
    }
    // Rotated options and sampling first: they say more than the prompt hash that follows from them.
    if (!!b.rotate !== !!c.rotate) found.push({ kind: 'rotation', reason: `${subject}: ${c.rotate ? 'this run rotates' : 'the baseline rotates'} the options (MMLU_ROTATE=on) and ${c.rotate ? 'the baseline does' : 'this run does'} not: a rotated run is never paired with an unrotated one` })
    if ((b.temperature ?? 0) !== (c.temperature ?? 0)) found.push({ kind: 'sampling', reason: `${subject}: different sampling (baseline temperature ${b.temperature ?? 0}, this run ${c.temperature ?? 0}): answers drawn differently are not paired` })
    if ((b.trials ?? 1) !== (c.trials ?? 1)) found.push({ kind: 'sampling', reason: `${subject}: different trials (baseline ${b.trials ?? 1}, this run ${c.trials ?? 1} per question): trials are paired one to one, so MMLU_TRIALS must match` })
    if (b.shots !== c.shots) found.push({ kind: 'shots', reason: `${subject}: different shots (baseline ${b.shots}-shot, this run ${c.shots}-shot)` })
    else if (!!b.rotate === !!c.rotate && b.promptHash !== c.promptHash) found.push({ kind: 'prompt', reason: `${subject}: different prompts (prompt template or few-shot examples; hash ${short(b.promptHash)} vs ${short(c.promptHash)})` })
    if (b.dataFingerprint !== c.dataFingerprint) found.push({ kind: 'data', reason: `${subject}: different test questions (data fingerprint ${short(b.dataFingerprint)} vs ${short(c.dataFingerprint)})` })
  }
  if (found.length) return found
  // Same template and data, but context fitting may still have cut examples from some prompts.
  const shotsBefore = new Map(baseline.records.map((r) => [key(r), r.shots]))
  const cut = current.records.filter((r) => shotsBefore.has(key(r)) && shotsBefore.get(key(r)) !== r.shots)
  if (cut.length) {
    const first = cut[0] as QuestionRecord
    found.push({
      kind: 'shots',
      reason: `${cut.length} question${cut.length === 1 ? ' was' : 's were'} asked with a different number of few-shot examples (e.g. ${first.subject} #${first.index}: ${shotsBefore.get(key(first))} in the baseline, ${first.shots} now), because the models' contexts differ`,
    })
  }
  return found
}

function pair(name: string, pairs: readonly [QuestionRecord, QuestionRecord][]): Omit<PairedComparison, 'adjustedP' | 'verdict' | 'reasons'> {
  let b = 0
  let c = 0
  let before = 0
  let after = 0
  // Net change of each question over its paired asks (trials, rotations).
  const net = new Map<string, number>()
  let variants = false
  for (const [x, y] of pairs) {
    const wasRight = x.outcome === 'correct'
    const isRight = y.outcome === 'correct'
    if (wasRight) before++
    if (isRight) after++
    if (wasRight && !isRight) b++
    if (!wasRight && isRight) c++
    if (y.trial !== undefined || y.rotation !== undefined) variants = true
    const q = questionKey(y)
    net.set(q, (net.get(q) ?? 0) + (isRight ? 1 : 0) - (wasRight ? 1 : 0))
  }
  const n = pairs.length
  const paired = { name, n, baselineCorrect: before, currentCorrect: after, rightToWrong: b, wrongToRight: c, drop: n ? (b - c) / n : 0 }
  if (!variants) return { ...paired, pValue: mcnemarExact(b, c) }
  const changes = [...net.values()]
  const worse = changes.filter((d) => d < 0).length
  const better = changes.filter((d) => d > 0).length
  return { ...paired, pValue: mcnemarExact(worse, better), questions: { n: net.size, worse, better } }
}

function judge(p: Omit<PairedComparison, 'verdict' | 'reasons'>, s: ComparisonSettings): PairedComparison {
  const reasons: string[] = []
  const significant = p.adjustedP < s.alpha
  // The direction the test tested: questions with trials or rotations, else pairs.
  const [worse, better] = p.questions ? [p.questions.worse, p.questions.better] : [p.rightToWrong, p.wrongToRight]
  if (significant && worse > better) {
    reasons.push(`significant drop (${p.adjustedP === p.pValue ? 'p' : 'Holm-adjusted p'} ${formatP(p.adjustedP)} < α ${s.alpha})`)
  }
  // A small epsilon keeps (b − c) / n == tolerance from counting as "larger" through rounding.
  if (s.tolerance !== undefined && p.drop > s.tolerance + 1e-12) reasons.push(`drop ${(p.drop * 100).toFixed(1)} points > tolerance ${(s.tolerance * 100).toFixed(1)}`)
  const verdict: Verdict = reasons.length ? 'regression' : significant && better > worse ? 'improvement' : 'no significant change'
  return { ...p, verdict, reasons }
}

/** Pairs the runs' questions and tests each subject and the whole for a regression. */
export function compareWithBaseline(baseline: ResultsFile, current: ResultsFile, file: string, settings: ComparisonSettings): BaselineComparison | BaselineRefusal {
  const simulated = simulatedMismatch(baseline, current, { reference: 'the baseline', other: 'this run' })
  if (simulated) return { kind: 'refused', file, reasons: [simulated] }
  const differences = inputDifferences(baseline, current)
  const warn = settings.differentShots === 'warn'
  const reasons = differences.filter((d) => !warn || d.kind !== 'shots').map((d) => d.reason)
  if (reasons.length) return { kind: 'refused', file, reasons }
  const warnings = differences.map((d) => d.reason)
  // A question one run could not ask says nothing about the model: it is left unpaired.
  const asked = (r: QuestionRecord) => r.outcome !== 'not-asked'
  const before = new Map(baseline.records.filter(asked).map((r) => [key(r), r]))
  const bySubject = new Map<string, [QuestionRecord, QuestionRecord][]>()
  let onlyCurrent = 0
  for (const r of current.records.filter(asked)) {
    const b = before.get(key(r))
    if (!b) {
      onlyCurrent++
      continue
    }
    let pairs = bySubject.get(r.subject)
    if (!pairs) bySubject.set(r.subject, (pairs = []))
    pairs.push([b, r])
  }
  const paired = [...bySubject.values()].reduce((n, ps) => n + ps.length, 0)
  if (paired === 0) {
    const theirs = [...new Set(baseline.records.map((r) => r.subject))]
    return {
      kind: 'refused',
      file,
      reasons: [`no question of this run is in the baseline (the baseline has ${theirs.length ? theirs.join(', ') : 'no questions'})`],
    }
  }
  const raw = [...bySubject].map(([subject, pairs]) => pair(subject, pairs))
  const adjusted = holmAdjust(raw.map((p) => p.pValue))
  const subjects = raw.map((p, i) => judge({ ...p, adjustedP: adjusted[i] as number }, settings))
  const all = [...bySubject.values()].flat()
  const overallRaw = pair('overall', all)
  const overall = judge({ ...overallRaw, adjustedP: overallRaw.pValue }, settings)
  const flip = ([b, c]: [QuestionRecord, QuestionRecord]): FlippedQuestion => ({
    subject: c.subject,
    index: c.index,
    expected: c.expected,
    before: b.given,
    after: c.given,
    ...(c.trial !== undefined ? { trial: c.trial } : {}),
    ...(c.rotation !== undefined ? { rotation: c.rotation } : {}),
  })
  const byIndex = (x: FlippedQuestion, y: FlippedQuestion) => x.index - y.index || (x.trial ?? 0) - (y.trial ?? 0) || (x.rotation ?? 0) - (y.rotation ?? 0)
  const flips = (pred: (b: QuestionRecord, c: QuestionRecord) => boolean) =>
    [...bySubject.values()].flatMap((pairs) => pairs.filter(([b, c]) => pred(b, c)).map(flip).sort(byIndex))
  return {
    kind: 'compared',
    file,
    baseline: { createdAt: baseline.createdAt, model: baseline.config.model, questions: baseline.records.length },
    alpha: settings.alpha,
    ...(settings.tolerance !== undefined ? { tolerance: settings.tolerance } : {}),
    subjects,
    overall,
    rightToWrong: flips((b, c) => b.outcome === 'correct' && c.outcome !== 'correct'),
    wrongToRight: flips((b, c) => b.outcome !== 'correct' && c.outcome === 'correct'),
    onlyCurrent,
    onlyBaseline: before.size - paired,
    regressions: [...subjects, overall].filter((p) => p.verdict === 'regression'),
    ...(warnings.length ? { warnings } : {}),
  }
}
