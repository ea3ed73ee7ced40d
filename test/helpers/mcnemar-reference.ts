// The tests' own reference for the exact McNemar p-value, written from its definition
// and independent of src/base/stats.ts: the two-sided binomial(b + c, 1/2) tail.

/** Exact two-sided McNemar: 2 Σ_{i ≤ min(b, c)} C(b + c, i) / 2^(b + c), in integers, capped at 1. */
export function exactMcNemar(b: number, c: number): number {
  const n = BigInt(b + c)
  const k = BigInt(Math.min(b, c))
  let choose = 1n
  let tail = 0n
  for (let i = 0n; i <= k; i++) {
    tail += choose
    choose = (choose * (n - i)) / (i + 1n)
  }
  // 2 · tail / 2ⁿ, as a float only at the end.
  const scale = 10n ** 90n
  return Math.min(1, Number((2n * tail * scale) / 2n ** n) / 1e90)
}
