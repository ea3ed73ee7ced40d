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
