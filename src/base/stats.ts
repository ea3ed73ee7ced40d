// Pure statistics, imported by the reporter and the gates. Nothing of ours is
// imported here, so every function is tested against known values in isolation.

/** Two-sided 95% normal quantile. */
export const Z95 = 1.959963984540054

export interface Interval {
  low: number
  high: number
}

/**
 * Wilson score interval for k successes in n trials. Unlike the normal
 * approximation it stays inside [0, 1] and behaves at 0/n and n/n, which
 * matters for small subjects (100 questions) and extreme accuracies.
 */
export function wilson(k: number, n: number, z = Z95): Interval {
  if (n === 0) return { low: 0, high: 1 }
  const p = k / n
  const z2 = z * z
  const denom = 1 + z2 / n
  const centre = (p + z2 / (2 * n)) / denom
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom
  // At k = 0 and k = n the bound is exactly 0 or 1; float rounding would miss it.
  return { low: k === 0 ? 0 : Math.max(0, centre - half), high: k === n ? 1 : Math.min(1, centre + half) }
}

/** Standard error of a mean of 0/1 outcomes as lm-eval reports it: sample std / sqrt(n). */
export function stderrOfProportion(k: number, n: number): number {
  if (n < 2) return NaN
  const p = k / n
  const sampleVariance = (n * p * (1 - p)) / (n - 1)
  return Math.sqrt(sampleVariance / n)
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN
  let s = 0
  for (const x of xs) s += x
  return s / xs.length
}

/** Percentile with linear interpolation between closest ranks (numpy's default). `q` in [0, 100]. */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN
  const sorted = [...xs].sort((a, b) => a - b)
  const pos = (q / 100) * (sorted.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  const a = sorted[lo] as number
  const b = sorted[hi] as number
  return a + (b - a) * (pos - lo)
}

export interface Tally {
  correct: number
  total: number
}

/** Micro average: every question weighs the same (lm-eval's size-weighted groups). */
export function microAccuracy(groups: readonly Tally[]): number {
  let k = 0
  let n = 0
  for (const g of groups) {
    k += g.correct
    n += g.total
  }
  return n === 0 ? NaN : k / n
}

/** Macro average: every group weighs the same (Meta's model card figure). */
export function macroAccuracy(groups: readonly Tally[]): number {
  const nonEmpty = groups.filter((g) => g.total > 0)
  return nonEmpty.length === 0 ? NaN : mean(nonEmpty.map((g) => g.correct / g.total))
}

/**
 * 95% interval of the macro average (the mean of m subject accuracies).
 * Subjects are fixed strata, not a sample, so the uncertainty is the
 * questions' within each subject: Var = Σ var_i / m², var_i = p̃(1 − p̃) / n,
 * where p̃ = (k + z²/2) / (n + z²) is the adjusted accuracy (Agresti–Coull's
 * centre), so a subject at 0% or 100% still carries uncertainty. The divisor
 * is n, not n + z²: with n + z² the interval covered only 85% at 5 questions
 * per subject (issue 21). The interval is the macro average ± z·√Var, clipped
 * to [0, 1]; measured coverage 94–96.5% from 5 questions per subject to
 * MMLU's sizes (test/stats.test.ts). Empty subjects are left out, as in
 * macroAccuracy. With one subject the macro average is the micro one, so it
 * gets the same (Wilson) interval.
 */
export function macroInterval(groups: readonly Tally[], z = Z95): Interval {
  const asked = groups.filter((g) => g.total > 0)
  if (asked.length === 0) return { low: 0, high: 1 }
  if (asked.length === 1) return wilson(asked[0]!.correct, asked[0]!.total, z)
  const z2 = z * z
  let variance = 0
  for (const { correct: k, total: n } of asked) {
    const p = (k + z2 / 2) / (n + z2)
    variance += (p * (1 - p)) / n
  }
  const m = asked.length
  const centre = macroAccuracy(asked)
  const half = (z * Math.sqrt(variance)) / m
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) }
}

export interface ClusteredAccuracy {
  accuracy: number
  ci95: Interval
  /** Standard error of the accuracy, clusters as the unit. */
  stderr: number
  /** The number of independent answers the clusters are worth: p(1 − p) / stderr². */
  effectiveN: number
}

/**
 * Accuracy over answers that come in clusters which are not independent: the
 * asks of one question (trials, rotations). The accuracy is Σk / Σn over
 * every answer; its variance is the ratio estimator's, with the question as
 * the unit: Var = Σ_q (k_q − p·n_q)² / (Σn)², so N identical asks of a
 * question count once, not N times. The 95% interval is Wilson's at the
 * effective sample size n_eff = p(1 − p) / Var (capped at the answers; the
 * questions when p is 0 or 1). With one answer per question, or N identical
 * ones, n_eff is the number of questions and the interval is wilson(k, Q)
 * exactly; no small-sample factor Q/(Q − 1) is applied, for that reason.
 */
export function clusteredAccuracy(clusters: readonly Tally[], z = Z95): ClusteredAccuracy {
  const asked = clusters.filter((c) => c.total > 0)
  const k = asked.reduce((s, c) => s + c.correct, 0)
  const n = asked.reduce((s, c) => s + c.total, 0)
  if (n === 0) return { accuracy: NaN, ci95: { low: 0, high: 1 }, stderr: NaN, effectiveN: 0 }
  const p = k / n
  let sum = 0
  for (const c of asked) sum += (c.correct - p * c.total) ** 2
  const variance = sum / (n * n)
  const binomial = p * (1 - p)
  const effectiveN = binomial === 0 ? asked.length : variance === 0 ? n : Math.min(n, binomial / variance)
  return { accuracy: p, ci95: wilson(p * effectiveN, effectiveN, z), stderr: Math.sqrt(variance), effectiveN }
}

/** One subject of a stratified sample: its tally (or effective tally) and the questions it was drawn from. */
export interface Stratum extends Tally {
  /** Questions in the subject (N); the tally is a sample of them without replacement. */
  population: number
  /** Questions drawn, when the tally is an effective one (trials, rotations: see clusteredAccuracy); else `total`. */
  drawn?: number
}

/**
 * The full set's accuracy from a sample of each subject (MMLU_SAMPLE), as a
 * stratified estimate: each subject weighs N_h / ΣN, its questions' share of
 * the full set, so the estimate is unbiased for the full set's micro average
 * (an equal n per subject weighted equally would be a macro average). The
 * variance is the stratified one with the finite-population correction:
 * Var = Σ W_h² · p̃_h(1 − p̃_h) / n_h · (N_h − n_h) / (N_h − 1), with the
 * Agresti–Coull-adjusted p̃ = (k + z²/2) / (n + z²) so a subject sampled at 0%
 * or 100% still carries uncertainty; a subject asked whole adds none.
 * The interval is Wilson's at the effective sample size p(1 − p) / Var (as
 * clusteredAccuracy); at p = 0 or 1 it is p ± z·√Var, clipped; a run that
 * asked every subject whole has Var = 0 and the exact figure. Strata that
 * asked nothing are left out of both. Coverage of the full set's micro
 * average is measured in test/sample-weights.test.ts by seeded simulation.
 */
export function stratifiedEstimate(strata: readonly Stratum[], z = Z95): { accuracy: number; ci95: Interval } {
  const asked = strata.filter((s) => s.total > 0)
  const N = asked.reduce((n, s) => n + s.population, 0)
  if (asked.length === 0 || N === 0) return { accuracy: NaN, ci95: { low: 0, high: 1 } }
  const z2 = z * z
  let p = 0
  let variance = 0
  for (const { correct: k, total: n, population, drawn = n } of asked) {
    const w = population / N
    p += (w * k) / n
    const fpc = population > 1 ? Math.max(0, (population - drawn) / (population - 1)) : 0
    const adjusted = (k + z2 / 2) / (n + z2)
    variance += ((w * w * adjusted * (1 - adjusted)) / n) * fpc
  }
  if (variance === 0) return { accuracy: p, ci95: { low: p, high: p } }
  if (p <= 0 || p >= 1) {
    const half = z * Math.sqrt(variance)
    return { accuracy: p, ci95: { low: Math.max(0, p - half), high: Math.min(1, p + half) } }
  }
  const effectiveN = (p * (1 - p)) / variance
  return { accuracy: p, ci95: wilson(p * effectiveN, effectiveN, z) }
}

/** Sample standard deviation (n − 1); 0 for a single value, NaN for none. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length === 0) return NaN
  if (xs.length === 1) return 0
  const m = mean(xs)
  let s = 0
  for (const x of xs) s += (x - m) ** 2
  return Math.sqrt(s / (xs.length - 1))
}

/**
 * Exact two-sided McNemar test: under H0 the discordant pairs split as
 * Binomial(b + c, 1/2). p = min(1, 2·P(X ≤ min(b, c))).
 */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c
  if (n === 0) return 1
  const k = Math.min(b, c)
  // At the centre (k ≥ (n-1)/2) the two-sided tail is ≥ 1 exactly; skip float sums.
  if (2 * k + 1 >= n) return 1
  // Binomial pmf by the ratio recurrence, in log space so large n cannot underflow.
  let logPmf = -n * Math.LN2
  let tail = 0
  for (let i = 0; i <= k; i++) {
    tail += Math.exp(logPmf)
    logPmf += Math.log(n - i) - Math.log(i + 1)
  }
  return Math.min(1, 2 * tail)
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: about 15 significant digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x)
  const g = 7
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ]
  const z = x - 1
  let a = c[0] as number
  const t = z + g + 0.5
  for (let i = 1; i < g + 2; i++) a += (c[i] as number) / (z + i)
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

/**
 * Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a): the series for
 * P below a + 1, Lentz's continued fraction for Q above (Numerical Recipes §6.2).
 */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1
  if (!Number.isFinite(x)) return 0
  const front = Math.exp(-x + a * Math.log(x) - lnGamma(a))
  if (x < a + 1) {
    let sum = 1 / a
    let term = sum
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n)
      sum += term
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break
    }
    return Math.max(0, 1 - sum * front)
  }
  const tiny = 1e-300
  let b = x + 1 - a
  let c = 1 / tiny
  let d = 1 / b
  let h = d
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < tiny) d = tiny
    c = b + an / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return Math.min(1, front * h)
}

/** P(χ²_df ≥ x): the p-value of a chi-square statistic. */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0)) return NaN
  return gammaQ(df / 2, x / 2)
}

export interface GoodnessOfFit {
  /** `chi-square` (Pearson's, k − 1 df) or `exact multinomial` (small samples). */
  test: 'chi-square' | 'exact multinomial'
  /** Pearson's χ² statistic; reported for both tests. */
  statistic: number
  df: number
  p: number
}

/** Outcomes an exact multinomial test may enumerate: C(n + k − 1, k − 1). */
export const EXACT_MULTINOMIAL_LIMIT = 2_000_000

function compositions(n: number, k: number): number {
  // C(n + k − 1, k − 1), stopping once past the limit.
  let c = 1
  for (let i = 1; i < k; i++) {
    c = (c * (n + i)) / i
    if (c > EXACT_MULTINOMIAL_LIMIT) return Infinity
  }
  return Math.round(c)
}

/**
 * Do the observed counts follow the proportions? Pearson's chi-square test
 * when every expected count is at least 5 (Cochran's rule); below that, where
 * the approximation is poor, the exact multinomial test: the probability,
 * under the proportions, of every outcome no more likely than the one
 * observed. Categories with proportion 0 drop out; a count in one makes the
 * observation impossible under H0 (p = 0).
 */
export function goodnessOfFit(observed: readonly number[], proportions: readonly number[]): GoodnessOfFit {
  const total = proportions.reduce((s, p) => s + p, 0)
  const n = observed.reduce((s, o) => s + o, 0)
  const cats: { o: number; p: number }[] = []
  let impossible = false
  observed.forEach((o, i) => {
    const p = (proportions[i] ?? 0) / total
    if (p > 0) cats.push({ o, p })
    else if (o > 0) impossible = true
  })
  const df = cats.length - 1
  let statistic = 0
  for (const { o, p } of cats) statistic += (o - n * p) ** 2 / (n * p)
  if (impossible) return { test: 'chi-square', statistic: Infinity, df, p: 0 }
  if (df < 1 || n === 0) return { test: 'chi-square', statistic: 0, df: Math.max(df, 0), p: 1 }
  const small = cats.some(({ p }) => n * p < 5)
  if (!small || compositions(n, cats.length) === Infinity) return { test: 'chi-square', statistic, df, p: chiSquareSurvival(statistic, df) }
  return { test: 'exact multinomial', statistic, df, p: exactMultinomial(cats.map((c) => c.o), cats.map((c) => c.p)) }
}

function exactMultinomial(observed: readonly number[], p: readonly number[]): number {
  const n = observed.reduce((s, o) => s + o, 0)
  const k = observed.length
  const logFact = [0]
  for (let i = 1; i <= n; i++) logFact.push((logFact[i - 1] as number) + Math.log(i))
  const logP = p.map(Math.log)
  const logProb = (counts: readonly number[]) => counts.reduce((s, c, i) => s - (logFact[c] as number) + c * (logP[i] as number), logFact[n] as number)
  const threshold = logProb(observed) + 1e-9
  let sum = 0
  const counts = new Array<number>(k).fill(0)
  const walk = (i: number, left: number): void => {
    if (i === k - 1) {
      counts[i] = left
      const lp = logProb(counts)
      if (lp <= threshold) sum += Math.exp(lp)
      return
    }
    for (let c = 0; c <= left; c++) {
      counts[i] = c
      walk(i + 1, left - c)
    }
  }
  walk(0, n)
  return Math.min(1, sum)
}
