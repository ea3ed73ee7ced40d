// The summary page's timing charts: latency per question and answers per
// second over the run, with the binning arithmetic they draw (round bin
// widths, equal time buckets), exported for tests.
import { isTimed } from '../../src/base/record.js'
import type { QuestionRecord } from '../../src/base/record.js'
import { maxOf, minOf } from '../../src/base/extent.js'
import { rate } from './format.js'
import type { Svg } from './page.js'
import { CHART_HALF, CHART_WIDE } from './page.js'

/** 1, 2 or 5 × 10^k, the smallest such step ≥ x. */
function niceStep(x: number): number {
  if (!(x > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(x))
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= x * (1 - 1e-9)) ?? 10 * p
}

export interface Bin {
  from: number
  to: number
  count: number
}

/** Equal-width bins with a round width, about `target` of them, covering every value. */
export function histogram(values: readonly number[], target = 24): Bin[] {
  if (values.length === 0) return []
  let lo = Infinity
  let hi = -Infinity
  for (const v of values) {
    lo = Math.min(lo, v)
    hi = Math.max(hi, v)
  }
  const width = niceStep((hi - lo) / target || Math.max(hi, 1) / target)
  const start = Math.floor(lo / width) * width
  const n = Math.max(1, Math.floor((hi - start) / width) + 1)
  const bins = Array.from({ length: n }, (_, i) => ({ from: start + i * width, to: start + (i + 1) * width, count: 0 }))
  for (const v of values) bins[Math.min(n - 1, Math.floor((v - start) / width))]!.count++
  return bins
}

export function latencyHistogram(records: readonly QuestionRecord[], svg: Svg): string | undefined {
  const xs = records.filter(isTimed).map((r) => r.latencyMs)
  const bins = histogram(xs)
  if (bins.length === 0) return undefined
  // One unit for the whole axis: seconds when the slowest bin reaches a second, else milliseconds.
  const seconds = (bins.at(-1)?.to ?? 0) > 1000
  const label = (x: number) => (seconds ? `${+(x / 1000).toFixed(2)}` : `${+x.toFixed(1)}`)
  return svg(
    {
      grid: { left: 8, right: 36, top: 30, bottom: 24, containLabel: true },
      xAxis: { type: 'category', name: seconds ? 's' : 'ms', data: bins.map((b) => label(b.from)), axisLabel: { fontSize: 11 } },
      yAxis: { type: 'value', name: 'questions', nameTextStyle: { align: 'left' }, minInterval: 1, splitLine: { lineStyle: { color: '#eee' } } },
      series: [{ type: 'bar', barCategoryGap: '8%', data: bins.map((b) => b.count), itemStyle: { color: '#4e79a7' } }],
    },
    CHART_HALF,
    300,
  )
}

export interface RatePoint {
  /** Seconds since the first question started (end of the bucket). */
  t: number
  /** Answers completed in the bucket ÷ its width. */
  qps: number
}

/**
 * Completions per second over time, in equal buckets from the first start:
 * about 60, fewer for small runs so a bucket holds ~10 answers on average.
 */
export function throughput(records: readonly QuestionRecord[], target = Math.min(60, Math.ceil(records.filter(isTimed).length / 10))): RatePoint[] {
  const done = records.filter(isTimed)
  if (done.length === 0) return []
  const t0 = minOf(done.map((r) => r.startedAt))
  const ends = done.map((r) => (r.startedAt + r.latencyMs - t0) / 1000)
  const span = maxOf(ends)
  const width = niceStep(span / target || 0.001)
  const n = Math.max(1, Math.ceil(span / width - 1e-9))
  const counts = new Array<number>(n).fill(0)
  for (const e of ends) counts[Math.min(n - 1, Math.floor(e / width))]!++
  return counts.map((c, i) => ({ t: +((i + 1) * width).toFixed(6), qps: c / width }))
}

export function throughputTimeline(records: readonly QuestionRecord[], svg: Svg, average: number): string | undefined {
  const points = throughput(records)
  if (points.length === 0) return undefined
  const step = points.length > 1 ? points[1]!.t - points[0]!.t : points[0]!.t
  return svg(
    {
      grid: { left: 8, right: 24, top: 30, bottom: 24, containLabel: true },
      xAxis: { type: 'value', name: 's', min: 0, max: points.at(-1)!.t, splitLine: { show: false } },
      yAxis: { type: 'value', name: 'q/s', min: 0, splitLine: { lineStyle: { color: '#eee' } } },
      series: [
        {
          type: 'line',
          step: 'end',
          symbol: 'none',
          areaStyle: { opacity: 0.15 },
          lineStyle: { width: 1.5 },
          itemStyle: { color: '#59a14f' },
          data: [[0, points[0]!.qps], ...points.map((p) => [p.t - step, p.qps]), [points.at(-1)!.t, points.at(-1)!.qps]],
          markLine: Number.isFinite(average)
            ? { symbol: 'none', silent: true, lineStyle: { type: 'dashed', color: '#555' }, label: { formatter: `run ${rate(average)} q/s`, position: 'insideEndTop' }, data: [{ yAxis: average }] }
            : undefined,
        },
      ],
    },
    CHART_WIDE,
    300,
  )
}
