// How numbers read in every output (terminal, Markdown, pages): one home, so a
// percentage or a latency is written the same way everywhere.
import { maxOf } from '../../src/base/extent.js'

export const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–')
export const ci = (i: { low: number; high: number }): string => `[${(i.low * 100).toFixed(1)}, ${(i.high * 100).toFixed(1)}]`
export const ms = (x: number): string => (!Number.isFinite(x) ? '–' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 2 : 0)} ms`)
export const rate = (x: number): string => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : '–')

/** Plain-text columns: each as wide as its widest cell, the given ones right-aligned. */
export function table(rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = rows[0]!.map((_, c) => maxOf(rows.map((r) => (r[c] ?? '').length)))
  return rows
    .map((r) => r.map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd())
    .join('\n')
}
