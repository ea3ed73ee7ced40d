// The pages draw their charts with echarts' single-file build (reporters/render/page.ts:
// a quarter of the CPU of loading its module files). Every chart a summary page draws
// is drawn here again with the package's own entry (`echarts`, every chart and
// component installed), and the two SVGs must be the same, byte for byte.
import { describe, expect, test, vi } from 'vitest'
import type { EChartsOption } from 'echarts'
import type * as PageModule from '../reporters/render/page.js'
import { analyzeRun } from '../src/analysis/run.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { answerAll, loadWithInputs, resultsOf } from './helpers/fixed-answers.js'

/** The options the page asked for, in order, each drawn with the build the page uses. */
const drawn: { option: EChartsOption; width: number; height: number; svg: string }[] = []

vi.mock('../reporters/render/page.js', async (importOriginal) => {
  const page = await importOriginal<typeof PageModule>()
  return {
    ...page,
    chartRenderer: async (): Promise<PageModule.Svg> => {
      const svg = await page.chartRenderer()
      return (option, width, height) => {
        const out = svg(option, width, height)
        drawn.push({ option, width, height, svg: out })
        return out
      }
    },
  }
})

describe('charts drawn with the single-file build', () => {
  test('every chart of a summary page is the same SVG as the echarts package entry draws', async () => {
    const { renderSummaryPage } = await import('../reporters/render/html.js')
    const [astronomy, ethics] = await Promise.all([loadWithInputs(FIXTURE_DATA_DIR, 'astronomy'), loadWithInputs(FIXTURE_DATA_DIR, 'business_ethics')])
    // Probabilities (calibration, letters), timings (latency, throughput), two subjects and categories.
    const p = { A: 0.1, B: 0.6, C: 0.2, D: 0.1 }
    const records = answerAll([...astronomy.test, ...ethics.test], p).map((r, i) => ({ ...r, startedAt: 1_000 + 40 * i, latencyMs: 30 + (i % 7) * 5 }))
    const results = { ...resultsOf('fixed.gguf', [astronomy, ethics], records, FIXTURE_DATA_DIR), analysis: analyzeRun(records) }
    await renderSummaryPage(results)
    expect(drawn.length).toBeGreaterThanOrEqual(5)

    const echarts = await import('echarts')
    for (const { option, width, height, svg } of drawn) {
      const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height })
      try {
        chart.setOption({ animation: false, textStyle: { fontFamily: 'system-ui, sans-serif' }, ...option })
        expect(svg).toBe(chart.renderToSVGString())
      } finally {
        chart.dispose()
      }
    }
  })
})
