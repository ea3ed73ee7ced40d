// Seeded randomness: the same seed and the same names always give the same
// numbers, on every machine and Node version, so a sample, a trial's seeds and
// a sampled letter can be reproduced from the run's settings alone.
// Pure: nothing of ours is imported.
import { createHash } from 'node:crypto'

/** The largest seed handed to an engine: servers and llama.cpp all take a non-negative 31-bit integer. */
export const MAX_SEED = 2_147_483_647

/**
 * A seed from a base seed and names (subject, question, trial, …): the first
 * 31 bits of sha256 over them. Unlike `base + trial`, neighbouring names give
 * unrelated seeds, so no two questions or trials share a random stream.
 */
export function deriveSeed(base: number, ...parts: (string | number)[]): number {
  const digest = createHash('sha256').update(JSON.stringify([base, ...parts])).digest()
  return digest.readUInt32BE(0) & MAX_SEED
}

/**
 * sfc32, a small, fast generator with good statistical quality, seeded from a
 * 32-bit seed through splitmix32. Returns uniform numbers in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = splitmix()
  let b = splitmix()
  let c = splitmix()
  let d = splitmix()
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) >>> 0
    return t / 4294967296
  }
  // Discard the first outputs, as sfc32's authors advise.
  for (let i = 0; i < 12; i++) next()
  return next
}

/** A seeded Fisher–Yates shuffle of 0 … n−1: a permutation that only depends on the seed. */
export function seededPermutation(n: number, seed: number): number[] {
  const random = seededRandom(seed)
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j] as number, order[i] as number]
  }
  return order
}

/** A standard normal draw (Box–Muller). */
function normal(random: () => number): number {
  let u = random()
  while (u === 0) u = random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}

/** A Gamma(shape, 1) draw for shape ≥ 1 (Marsaglia and Tsang, 2000). */
function gamma(shape: number, random: () => number): number {
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    const x = normal(random)
    const v = (1 + c * x) ** 3
    if (v <= 0) continue
    const u = random()
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v
  }
}

/** At or below this many trials a binomial is drawn one trial at a time. */
const DIRECT_TRIALS = 64

/**
 * An exact Binomial(n, p) draw in O(log n) steps: the a-th smallest of n
 * uniforms is Beta(a, n − a + 1); the uniforms on the far side of p from it
 * are decided, the others are a binomial of half the size (Knuth, TAOCP 2,
 * 3.4.1; Devroye, Non-Uniform Random Variate Generation, X.4). For counts of a
 * million answers redrawn ten thousand times, where a draw per answer is not.
 */
export function binomial(n: number, p: number, random: () => number): number {
  let count = 0
  while (n > DIRECT_TRIALS) {
    if (p <= 0) return count
    if (p >= 1) return count + n
    const a = 1 + Math.floor(n / 2)
    const b = n + 1 - a
    const ga = gamma(a, random)
    const x = ga / (ga + gamma(b, random))
    if (x >= p) {
      // The a − 1 uniforms below x are uniform on [0, x); the others are all above p.
      n = a - 1
      p = p / x
    } else {
      // The a uniforms up to x are below p; the n − a above it are uniform on (x, 1].
      count += a
      n = b - 1
      p = (p - x) / (1 - x)
    }
  }
  for (let i = 0; i < n; i++) if (random() < p) count++
  return count
}
