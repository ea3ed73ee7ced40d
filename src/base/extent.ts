// The largest and smallest of a list sized by the data. `Math.max(...xs)` spreads
// the list into a call's arguments, which V8 refuses near 125,000 items (RangeError):
// a run of that many answers would lose its results. These loop instead.

/** `Math.max(floor, ...xs)` without the spread: NaN if any value is NaN. */
export function maxOf(xs: Iterable<number>, floor = -Infinity): number {
  let best = floor
  for (const x of xs) {
    if (Number.isNaN(x)) return NaN
    if (x > best) best = x
  }
  return best
}

/** `Math.min(ceiling, ...xs)` without the spread: NaN if any value is NaN. */
export function minOf(xs: Iterable<number>, ceiling = Infinity): number {
  let best = ceiling
  for (const x of xs) {
    if (Number.isNaN(x)) return NaN
    if (x < best) best = x
  }
  return best
}
