// The leaderboard (src/analysis/leaderboard.ts) as a terminal table, Markdown
// (a PR comment or job summary) and a static page: echarts drawn as SVG on the
// server, so it opens from file:// with no script.
import type { CustomSeriesRenderItem, EChartsOption } from 'echarts'
import type { Leaderboard, LeaderboardRow, LeaderboardTable } from '../../src/analysis/leaderboard.js'
import { P_VALUE_MEANING } from '../../src/analysis/leaderboard.js'
import { CATEGORY_LABELS } from '../../src/dataset/subjects.js'
import { formatP } from '../../src/analysis/paired.js'
import type { Svg } from './page.js'
import { CHART_HALF, CHART_WIDE, chartRenderer, esc, figure, pageShell, STYLE } from './page.js'
import { ci, ms, pct, rate, table } from './format.js'
import { maxOf, minOf } from '../../src/base/extent.js'
import { md, printableLines } from './escape.js'

export const TIE_MEANING = '≈ best: not significantly below the best of its table (Holm-adjusted p ≥ α, or not below it on the questions both asked): the test cannot tell the two apart on these questions'

const MMLU_CATEGORIES = ['stem', 'humanities', 'social_sciences', 'other'] as const

/** `1.20 GiB`, `640 MiB`, `4.3 MiB`, `33 KiB`; blank when unknown. */
export function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return ''
  const gib = n / 2 ** 30
  if (gib >= 1) return `${gib.toFixed(gib < 10 ? 2 : 1)} GiB`
  const mib = n / 2 ** 20
  return mib >= 1 ? `${mib.toFixed(mib < 10 ? 1 : 0)} MiB` : `${Math.max(1, Math.round(n / 1024))} KiB`
}

/** `≈ best`, `best`, or `below (p 0.003)`. */
export function standing(r: LeaderboardRow): string {
  if (!r.versusBest) return 'best'
  return r.versusBest.tied ? '≈ best' : 'below'
}

const engineOf = (r: LeaderboardRow) => (r.server ? `${r.engine} ${r.server}` : r.engine)
const category = (r: LeaderboardRow, c: string) => r.categories.find((x) => x.category === c)
const opt = (x: number | undefined, f: (x: number) => string) => (x === undefined || !Number.isFinite(x) ? '' : f(x))

/** What every run of a table shares (protocol, shots), and what sets it apart from the first table. */
export function tableTitle(t: LeaderboardTable, i: number): string {
  const r = t.rows[0]!
  return `Table ${i + 1}: ${r.protocol}${r.protocol !== r.scoring ? ` (${r.scoring})` : ''} · ${r.shots}-shot · ${t.rows.length} run${t.rows.length === 1 ? '' : 's'}`
}

function cells(r: LeaderboardRow): string[] {
  const v = r.versusBest
  return [
    String(r.rank),
    r.label,
    standing(r),
    v ? `${v.inCommon}` : '',
    v ? formatP(v.pValue) : '',
    v ? formatP(v.adjustedP) : '',
    pct(r.micro.accuracy),
    ci(r.micro.ci95),
    pct(r.macro.accuracy),
    ci(r.macro.ci95),
    pct(r.aboveChance),
    ...MMLU_CATEGORIES.map((c) => opt(category(r, c)?.accuracy, pct)),
    r.quantization ?? '',
    bytes(r.sizeBytes),
    engineOf(r),
    rate(r.questionsPerSecond),
    ms(r.latencyP50),
    ms(r.latencyP95),
    opt(r.promptTokensPerSecond, (x) => x.toFixed(0)),
    bytes(r.peakRssBytes),
    opt(r.ece, pct),
    opt(r.circular, pct),
  ]
}

const HEAD = ['#', 'run', 'vs best', 'in common', 'p', 'p (Holm)', 'accuracy', '95% CI', 'macro', 'macro 95% CI', 'above chance', ...MMLU_CATEGORIES.map((c) => CATEGORY_LABELS[c]), 'quant', 'size', 'engine', 'q/s', 'p50', 'p95', 'prompt tok/s', 'peak memory', 'ECE', 'circular']
const RIGHT = new Set([0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 18, 19, 20, 21, 22, 23, 24])

/** Only the columns some run fills (a server run has no memory, an unrotated one no circular accuracy). */
function filled(rows: string[][]): number[] {
  return rows[0]!.map((_, c) => c).filter((c) => c < 3 || rows.slice(1).some((r) => r[c] !== '' && r[c] !== '–'))
}

function columns(t: LeaderboardTable): { head: string[]; rows: string[][]; right: Set<number> } {
  const all = [HEAD, ...t.rows.map(cells)]
  const keep = filled(all)
  const pick = (r: string[]) => keep.map((c) => r[c] ?? '')
  return { head: pick(HEAD), rows: t.rows.map((r) => pick(cells(r))), right: new Set(keep.flatMap((c, i) => (RIGHT.has(c) ? [i] : []))) }
}

function notes(b: Leaderboard): string[] {
  return [`${TIE_MEANING}; α ${b.alpha}.`, `${P_VALUE_MEANING}.`, 'above chance: (accuracy − chance) ÷ (1 − chance), 0 = chance (1 in 4 for MMLU), 100% = perfect (Open LLM Leaderboard v2); the raw accuracy stays beside it.']
}

export function renderLeaderboardTerminal(b: Leaderboard): string {
  const out: string[] = []
  b.tables.forEach((t, i) => {
    out.push(tableTitle(t, i))
    if (t.differences.length) out.push(`  Not ranked with table 1: ${t.differences.join('; ')}`)
    const { head, rows, right } = columns(t)
    out.push(table([head, ...rows], right), '')
  })
  for (const n of notes(b)) out.push(n)
  return printableLines(out.join('\n'))
}

// Model names and server strings come from the runs: shown, never obeyed (escape.ts).
const mdCell = md

export function renderLeaderboardMarkdown(b: Leaderboard): string {
  const out = ['## MMLU leaderboard', '']
  b.tables.forEach((t, i) => {
    out.push(`### ${mdCell(tableTitle(t, i))}`, '')
    if (t.differences.length) out.push(`Not ranked with table 1: ${t.differences.map(mdCell).join('; ')}`, '')
    const { head, rows, right } = columns(t)
    out.push(`| ${head.map(mdCell).join(' | ')} |`, `| ${head.map((_, c) => (right.has(c) ? '---:' : '---')).join(' | ')} |`)
    for (const r of rows) out.push(`| ${r.map((c, k) => (k === 2 && c !== 'below' ? `**${c}**` : mdCell(c))).join(' | ')} |`)
    out.push('')
  })
  for (const n of notes(b)) out.push(`- ${mdCell(n)}`)
  out.push('')
  return out.join('\n')
}

const COLORS = { tied: '#2e7d32', below: '#9e9e9e', front: '#c62828' }
const percent = (x: number) => +(x * 100).toFixed(2)

/** A vertical error bar at each point: data `[x, low, high]` (percent). */
const verticalBars: CustomSeriesRenderItem = (_params, api) => {
  const x = api.value(0) as number
  const from = api.coord([x, api.value(1)])
  const to = api.coord([x, api.value(2)])
  const line = (x1: number, y1: number, x2: number, y2: number) => ({ type: 'line' as const, shape: { x1, y1, x2, y2 }, style: { stroke: '#555', lineWidth: 1 } })
  return { type: 'group', children: [line(from[0]!, from[1]!, to[0]!, to[1]!), line(from[0]! - 4, from[1]!, from[0]! + 4, from[1]!), line(to[0]! - 4, to[1]!, to[0]! + 4, to[1]!)] }
}

const pointLabel = (r: LeaderboardRow) => (r.quantization && !r.label.toUpperCase().includes(r.quantization.toUpperCase()) ? `${r.label} ${r.quantization}` : r.label)

/** Accuracy (with its interval) against a speed or a size, one point per run; `front`: the Pareto front's runs, joined in x order. */
function tradeOffChart(svg: Svg, rows: readonly LeaderboardRow[], x: (r: LeaderboardRow) => number | undefined, xName: string, front: boolean, width: number): string | undefined {
  const shown = rows.filter((r) => Number.isFinite(x(r)) && Number.isFinite(r.micro.accuracy))
  if (shown.length === 0) return undefined
  const point = (r: LeaderboardRow) => ({ name: pointLabel(r), value: [x(r)!, percent(r.micro.accuracy)], itemStyle: { color: r.versusBest && !r.versusBest.tied ? COLORS.below : COLORS.tied } })
  const onFront = shown.filter((r) => r.pareto).sort((a, b) => x(a)! - x(b)!)
  // Axes fitted to the intervals (echarts' own fit sees the points only, and cuts the bars), with room for the labels.
  const xs = shown.map((r) => x(r)!)
  const [x0, x1] = [minOf(xs), maxOf(xs)]
  const pad = (x1 - x0) * 0.08 || Math.abs(x0) * 0.1 || 1
  const lows = shown.map((r) => percent(r.micro.ci95.low))
  const highs = shown.map((r) => percent(r.micro.ci95.high))
  const runName = 'run (green: ≈ best, grey: below)'
  const option: EChartsOption = {
    legend: { bottom: 0, left: 'center', textStyle: { fontSize: 11 }, data: [...(front ? ['Pareto front'] : []), runName] },
    grid: { left: 40, right: 110, top: 16, bottom: 44, containLabel: true },
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 26, min: +(Math.max(0, x0 - pad)).toPrecision(3), max: +(x1 + pad).toPrecision(3), splitLine: { lineStyle: { color: '#eee' } } },
    yAxis: { type: 'value', name: 'accuracy %', nameLocation: 'middle', nameGap: 34, min: Math.max(0, Math.floor(minOf(lows) / 5) * 5), max: Math.min(100, Math.ceil(maxOf(highs) / 5) * 5), splitLine: { lineStyle: { color: '#eee' } } },
    series: [
      { name: '95% interval', type: 'custom', renderItem: verticalBars, data: shown.map((r) => [x(r)!, percent(r.micro.ci95.low), percent(r.micro.ci95.high)]), z: 2, itemStyle: { color: '#555' } },
      ...(front ? [{ name: 'Pareto front', type: 'line' as const, data: onFront.map((r) => [x(r)!, percent(r.micro.accuracy)]), lineStyle: { color: COLORS.front, width: 2, type: 'dashed' as const }, itemStyle: { color: COLORS.front }, symbol: 'none', z: 3 }] : []),
      {
        name: runName,
        type: 'scatter',
        symbolSize: 10,
        data: shown.map(point),
        label: { show: true, position: 'right', formatter: '{b}', fontSize: 11, color: '#222' },
        labelLayout: { hideOverlap: false, moveOverlap: 'shiftY' },
        itemStyle: { color: COLORS.tied },
        z: 4,
      },
    ],
  }
  return svg(option, width, 380)
}

function htmlTable(t: LeaderboardTable, i: number): string {
  const { head, rows, right } = columns(t)
  const standingAt = head.indexOf('vs best')
  const body = rows
    .map((r, k) => `<tr class="${standing(t.rows[k]!) === 'below' ? 'below' : 'tied'}">${r.map((c, j) => `<td${right.has(j) ? '' : ' class="name"'}>${j === standingAt && c !== 'below' ? `<b>${esc(c)}</b>` : esc(c)}</td>`).join('')}</tr>`)
    .join('\n')
  return `<table id="leaderboard-${i + 1}" class="leaderboard"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>`
}

/** `runsIndex`: the run history's index as a link from where the page is written, when there is one. */
export async function renderLeaderboardHtml(b: Leaderboard, runsIndex?: string): Promise<string> {
  const svg = await chartRenderer()
  const sections = b.tables.map((t, i) => {
    const charts = [figure(`chart-speed-${i + 1}`, 'Accuracy (95% interval) against questions per second · dashed red: the Pareto front (no other run both more accurate and faster)', tradeOffChart(svg, t.rows, (r) => r.questionsPerSecond, 'questions / s', true, CHART_WIDE), true, 'No run with a speed to chart.')]
    const peaks = t.rows.flatMap((r) => (r.peakRssBytes === undefined ? [] : [r.peakRssBytes]))
    if (peaks.length) {
      const [unit, scale] = maxOf(peaks) >= 2 ** 30 ? ['GiB', 2 ** 30] : ['MiB', 2 ** 20]
      const memory = (r: LeaderboardRow) => (r.peakRssBytes === undefined ? undefined : +(r.peakRssBytes / scale).toFixed(2))
      charts.push(figure(`chart-memory-${i + 1}`, 'Accuracy (95% interval) against the engine’s peak memory (embedded runs; servers report none)', tradeOffChart(svg, t.rows, memory, `peak memory, ${unit}`, false, CHART_WIDE), true))
    }
    const apart = t.differences.length ? `<p class="warning">Not ranked with table 1: ${esc(t.differences.join('; '))}</p>` : ''
    return `<section class="board" id="table-${i + 1}"><h2>${esc(tableTitle(t, i))}</h2>${apart}${htmlTable(t, i)}<div class="charts">${charts.join('\n')}</div></section>`
  })
  return pageShell(`MMLU leaderboard · ${b.tables.reduce((n, t) => n + t.rows.length, 0)} runs`, `${STYLE}${LEADERBOARD_STYLE}`, `<header>
<h1>MMLU leaderboard</h1>
<ul class="explain">${notes(b).map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
</header>
<main>
${sections.join('\n')}
</main>
<footer>Written by npm run leaderboard (vitest-mmlu).${runsIndex ? ` <a href="${esc(runsIndex)}">Every kept run</a>.` : ''}</footer>`)
}

const LEADERBOARD_STYLE = `
body { max-width: none; }
td.name { text-align: left; }
table.leaderboard { font-size: 12px; }
tr.below td { color: var(--muted); }
.warning { color: #b45309; }
.explain { color: var(--muted); }
.charts { display: flex; flex-wrap: wrap; gap: 16px; margin-top: 16px; }
section.board { margin-top: 24px; }
`
