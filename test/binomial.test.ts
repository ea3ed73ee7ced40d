// The exact binomial draw (src/base/random.ts binomial) against the binomial
// distribution itself, its CDF summed here from the pmf's recurrence: a
// Kolmogorov–Smirnov distance over 20,000 seeded draws for each (n, p).
import { describe, expect, test } from 'vitest'
import { binomial, seededRandom } from '../src/base/random.js'

/** P(X ≤ k) for k = 0 … n, from log pmf(k+1) = log pmf(k) + log((n − k)/(k + 1)) + log(p/(1 − p)). */
function binomialCdf(n: number, p: number): Float64Array {
  const cdf = new Float64Array(n + 1)
  let logPmf = n * Math.log1p(-p)
  let sum = 0
  for (let k = 0; k <= n; k++) {
    sum += Math.exp(logPmf)
    cdf[k] = sum
    logPmf += Math.log((n - k) / (k + 1)) + Math.log(p / (1 - p))
  }
  return cdf
}

describe('binomial', () => {
  const DRAWS = 20_000
  // KS critical value at α = 0.001: 1.95 / √N.
  const critical = 1.95 / Math.sqrt(DRAWS)

  test.each([
    [10, 0.5],
    [64, 0.2],
    [65, 0.2],
    [1_000, 0.3],
    [5_000, 0.01],
    [100_000, 1 / 3],
    [250_001, 0.5],
  ])('Binomial(%i, %f): the draws follow its CDF (KS distance under 1.95/√N)', (n, p) => {
    const random = seededRandom(n)
    const counts = new Float64Array(n + 1)
    let sum = 0
    for (let i = 0; i < DRAWS; i++) {
      const x = binomial(n, p, random)
      expect(Number.isInteger(x) && x >= 0 && x <= n).toBe(true)
      counts[x]!++
      sum += x
    }
    const cdf = binomialCdf(n, p)
    let seen = 0
    let distance = 0
    for (let k = 0; k <= n; k++) {
      seen += counts[k]!
      distance = Math.max(distance, Math.abs(seen / DRAWS - cdf[k]!))
    }
    expect(distance).toBeLessThan(critical)
    // The mean within 4 standard errors of np.
    expect(Math.abs(sum / DRAWS - n * p)).toBeLessThan(4 * Math.sqrt((n * p * (1 - p)) / DRAWS))
  })

  test('p of 0 and 1 are certain', () => {
    const random = seededRandom(1)
    expect(binomial(1_000, 0, random)).toBe(0)
    expect(binomial(1_000, 1, random)).toBe(1_000)
    expect(binomial(0, 0.5, random)).toBe(0)
  })
})
