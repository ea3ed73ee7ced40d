// What every static page here shares: echarts drawn on the server as SVG
// strings (no network: a page opens anywhere, file:// included; no script but
// the paged question table of a large run's summary page), figures, escaping
// and the style sheet.
import type { CustomSeriesRenderItem, EChartsOption } from 'echarts'

// The page's content is 1044 px wide; a figure adds 22 px of padding and border.
export const CHART_WIDE = 1000
export const CHART_HALF = 488
export const OUTCOME_COLORS = { correct: '#2e7d32', wrong: '#c62828', invalid: '#ef6c00', error: '#6a1b9a', 'not-asked': '#9e9e9e' } as const

export type Svg = (option: EChartsOption, width: number, height: number) => string

let loading: Promise<Svg> | undefined

/**
 * An echarts option drawn on the server as an SVG string (pages here are static, no script).
 * echarts is imported once per process: the reporter starts the import in the background
 * when the first answer arrives (preloadCharts), so the page after the last question finds it loaded.
 */
export function chartRenderer(): Promise<Svg> {
  if (loading) return loading
  const started = loadChartRenderer()
  // A failed import is tried again by the next page, not remembered.
  started.catch(() => {
    if (loading === started) loading = undefined
  })
  loading = started
  return started
}

/** Starts echarts' import without waiting for it; a failure shows when the page is written. */
export function preloadCharts(): void {
  chartRenderer().catch(() => {})
}

async function loadChartRenderer(): Promise<Svg> {
  // echarts' own single-file build, not its module files (some 400; the load took 3.5 times the
  // CPU), through V8's code cache (echarts-load.ts). It draws the same SVG as the package's entry
  // (test/chart-svg.test.ts). Imported here, in the background, with the first answer.
  const { loadEcharts } = await import('./echarts-load.js')
  const { echarts, save } = loadEcharts()
  return (option: EChartsOption, width: number, height: number): string => {
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height })
    try {
      chart.setOption({ animation: false, textStyle: { fontFamily: 'system-ui, sans-serif' }, ...option })
      return chart.renderToSVGString()
    } finally {
      chart.dispose()
      // After the page's charts (drawn one after the other): the cache then holds what they compiled.
      setImmediate(save)
    }
  }
}

export function figure(id: string, caption: string, svg: string | undefined, wide: boolean, empty = 'No answered questions to chart.'): string {
  return `<figure id="${id}" class="chart${wide ? ' wide' : ''}"><figcaption>${esc(caption)}</figcaption>${svg ?? `<p class="empty">${esc(empty)}</p>`}</figure>`
}

/** A horizontal error bar from `low` to `high` (percent) at each category row: data `[row, low, high]`. */
export const errorBars: CustomSeriesRenderItem = (_params, api) => {
  const row = api.value(0) as number
  const from = api.coord([api.value(1), row])
  const to = api.coord([api.value(2), row])
  const cap = ((api.size?.([0, 1]) as number[] | undefined)?.[1] ?? 10) * 0.25
  const line = (x1: number, y1: number, x2: number, y2: number) => ({ type: 'line' as const, shape: { x1, y1, x2, y2 }, style: { stroke: '#222', lineWidth: 1.2 } })
  return {
    type: 'group',
    children: [line(from[0]!, from[1]!, to[0]!, to[1]!), line(from[0]!, from[1]! - cap, from[0]!, from[1]! + cap), line(to[0]!, to[1]! - cap, to[0]!, to[1]! + cap)],
  }
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

export const STYLE = `
:root { color-scheme: light; --fg: #1d1d1f; --muted: #666; --line: #e3e3e3; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px 28px 40px; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: #fff; }
h1 { font-size: 22px; margin: 0 0 12px; } h1 .model { font-weight: 400; color: var(--muted); }
.simulated { color: #b42318; font-weight: 700; }
h2 { font-size: 17px; margin: 28px 0 8px; }
a { color: #1a5fb4; }
code { font-size: 12px; background: #f3f3f3; padding: 1px 4px; border-radius: 3px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child, #subjects td:nth-child(2), #subjects th:nth-child(2) { text-align: left; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
#categories { width: auto; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; }
#charts { display: flex; flex-wrap: wrap; gap: 16px; margin-top: 28px; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 10px; }
figure.chart.wide { flex-basis: 100%; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { font-weight: 600; margin-bottom: 6px; }
.empty { color: var(--muted); }
details { border-bottom: 1px solid var(--line); padding: 6px 0; }
summary { cursor: pointer; }
.chips { display: flex; flex-wrap: wrap; gap: 3px; padding: 8px 0 4px; }
.q { display: inline-block; min-width: 2.4em; padding: 1px 4px; border-radius: 3px; color: #fff; font-size: 11px; text-align: center; text-decoration: none; }
.q.correct { background: ${OUTCOME_COLORS.correct}; } .q.wrong { background: ${OUTCOME_COLORS.wrong}; }
.q.invalid { background: ${OUTCOME_COLORS.invalid}; } .q.error { background: ${OUTCOME_COLORS.error}; } .q.not-asked { background: ${OUTCOME_COLORS['not-asked']}; }
table.questions { margin: 6px 0 12px; font-size: 12px; }
.pager { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 6px 0; }
table.questions td.text { text-align: left; white-space: normal; min-width: 240px; }
table.questions td.chosen { font-weight: 700; }
td.correct { color: ${OUTCOME_COLORS.correct}; } td.wrong { color: ${OUTCOME_COLORS.wrong}; } td.invalid { color: ${OUTCOME_COLORS.invalid}; } td.error, td.not-asked { color: ${OUTCOME_COLORS.error}; }
tr:target { background: #fff6d5; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
#notes { margin: 12px 0 0; } .note { margin: 4px 0; padding: 6px 10px; background: #fff8e1; border-left: 3px solid #f9a825; }
td.note { text-align: left; color: var(--muted); }
`

/**
 * Every page's frame: the doctype, the head (charset, viewport, title, one
 * style sheet) and the body. `title` and `style` are HTML already escaped;
 * `body` is what goes between `<body>` and `</body>`, each on lines of its own.
 */
export function pageShell(title: string, style: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${style}</style>
</head>
<body>
${body}
</body>
</html>
`
}
