// Calibration and letter bias (src/analysis) as terminal lines, Markdown and
// the summary page's section with its two charts. Pure: the analysis in, text
// out; nothing here computes a figure, it only formats what the analysis holds.
import type { Calibration, CalibrationFigures, SubjectCalibration } from '../../src/analysis/calibration.js'
import { CALIBRATED_DRAWS, CALIBRATION_BINS } from '../../src/analysis/calibration.js'
import type { LetterBias } from '../../src/analysis/letter-bias.js'
import { STRONG_BIAS_EXCESS, STRONG_BIAS_P } from '../../src/analysis/letter-bias.js'
import type { RunAnalysis } from '../../src/analysis/run.js'
import { formatP } from '../../src/analysis/paired.js'
import type { Svg } from './page.js'
import { CHART_HALF, esc, figure } from './page.js'
import { pct } from './format.js'
import { md } from './escape.js'

/** JSON turns NaN into null: both read as "no value". */
const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x)
const share = (x: number | null) => (finite(x) ? `${Math.round(x * 100)}%` : '–')
const pct1 = (x: number | null) => (finite(x) ? pct(x) : '–')
const brier = (x: number | null | undefined) => (finite(x) ? x.toFixed(3) : '–')
/** `5.1% (95% ≤ 9.0%)`: the ECE a perfectly calibrated model would show at these confidences; '–' for files from before it was stored. */
const calibratedCell = (c: Calibration) => (c.calibratedEce && finite(c.calibratedEce.mean) ? `${pct1(c.calibratedEce.mean)} (95% ≤ ${pct1(c.calibratedEce.p95)})` : '–')
/** A probability that one decimal of a percent would show as 0.0% (a raw next-token mass of 3e-5): two significant digits, `0.0030%`. */
export const confidencePct = (x: number | null) => (finite(x) && x > 0 && x < 0.0005 ? `${(x * 100).toPrecision(2)}%` : pct1(x))

/** `exact` or `seeded Monte Carlo, 10,000 draws` */
export function testName(t: LetterBias['test']): string {
  return t.test === 'exact' ? 'exact, every outcome enumerated' : `seeded Monte Carlo, ${t.draws.toLocaleString('en-US')} draws`
}

/** `p 0.0123`, or `p < 1/10,000` when no draw was as extreme (never p = 0). */
export function preferenceP(t: LetterBias['test']): string {
  return t.atFloor ? `p < 1/${t.draws.toLocaleString('en-US')}` : `p ${formatP(t.p)}`
}

/** `wrong answers: B 41% where 33% expected if the model had no preference` */
export function biasPhrase(b: LetterBias): string {
  const s = b.strongest
  return `wrong answers: ${s.letter} ${share(s.wrongShare)} where ${share(s.expectedShare)} expected if the model had no preference`
}

function leftOut(c: Calibration): string {
  const parts = [c.invalid ? `${c.invalid} invalid` : '', c.withoutProbabilities ? `${c.withoutProbabilities} without probabilities` : ''].filter(Boolean)
  return parts.length ? `; ${parts.join(', ')} left out` : ''
}

/** One line for calibration (log-prob runs), one for letter bias when it is strong. */
export function renderAnalysisLines(a: RunAnalysis): string[] {
  const lines: string[] = []
  const c = a.calibration
  if (c && c.answers > 0) {
    lines.push(
      `Calibration ECE ${pct1(c.normalised.ece)} (normalised over the letters; raw ${pct1(c.raw.ece)})` +
        `${c.calibratedEce ? ` · a calibrated model would show ${calibratedCell(c)}` : ''} · Brier ${brier(c.normalised.brier)} · ` +
        `mean confidence ${pct1(c.normalised.meanConfidence)} vs accuracy ${pct1(c.normalised.accuracy)} over ${c.answers} answers${leftOut(c)}`,
    )
  }
  const b = a.letterBias
  if (b?.strong) lines.push(`Letters    ${biasPhrase(b)} · ${preferenceP(b.test)} (${testName(b.test)}) · MMLU_ROTATE=on measures it directly`)
  for (const f of a.failed ?? []) lines.push(`Analysis   ${f.analysis} failed and is left out (${f.error}); the results are written without it`)
  return lines
}

// ---- Markdown -------------------------------------------------------------

const mdRow = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`

function calibrationRow(name: string, c: Calibration): string[] {
  return [name, String(c.answers), pct1(c.normalised.ece), calibratedCell(c), pct1(c.raw.ece), brier(c.normalised.brier), pct1(c.normalised.meanConfidence), confidencePct(c.raw.meanConfidence), pct1(c.normalised.accuracy)]
}

const CALIBRATION_HEAD = ['scope', 'answers', 'ECE', 'ECE if calibrated', 'ECE (raw)', 'Brier', 'mean confidence', 'mean confidence (raw)', 'accuracy']

export const CALIBRATION_NOTE =
  `Confidence is the probability of the chosen letter, normalised over the letters (raw: as the engine returned it). ` +
  `ECE: ${CALIBRATION_BINS} equal-width confidence bins, Σ (bin share) · |accuracy − mean confidence|. ` +
  `ECE is biased upward on few answers: "ECE if calibrated" is what a perfectly calibrated model with the same confidences would show (mean and 95th percentile of ${CALIBRATED_DRAWS} seeded draws); an ECE within it says nothing about miscalibration. ` +
  `Brier: Σ over the letters of (p − 1[key])², normalised probabilities, 0 best, 2 worst. ` +
  `Over answers with a letter and probabilities.`

export function biasNote(b: LetterBias): string {
  const strata = b.test.strata.length > 1 ? ` (tested apart by option count: ${b.test.strata.map((s) => `${s.options} options ${s.wrong}`).join(', ')})` : ''
  return (
    `Shares over the ${b.withLetter} answers with a letter${b.invalid ? ` (${b.invalid} invalid apart)` : ''}. ` +
    `The test's null: a model with no letter preference spreads its wrong answers evenly over the wrong options (1/(k − 1) each); right answers say nothing about preference. ` +
    `Over the ${b.wrong} wrong answers${strata}: Pearson's X² ${b.test.statistic.toFixed(1)}, ${preferenceP(b.test)} (${testName(b.test)}). ` +
    `Strong bias: a letter takes ≥ ${STRONG_BIAS_EXCESS * 100} points more of the wrong answers than expected, with p < ${STRONG_BIAS_P}. MMLU_ROTATE=on measures preference directly.`
  )
}

/** The calibration and letter sections of the Markdown summary (empty when there is nothing to show). */
export function renderAnalysisMarkdown(a: RunAnalysis): string[] {
  const out: string[] = []
  const c = a.calibration
  if (c && c.answers > 0) {
    const align = '|---|---:|---:|---:|---:|---:|---:|---:|---:|'
    out.push('### Calibration', '', CALIBRATION_NOTE, '', mdRow(CALIBRATION_HEAD), align, mdRow(calibrationRow('**all**', c)), '')
    // Per subject folded away: 57 rows would bury the rest of a job summary.
    if (c.subjects.length > 1) {
      out.push('<details>', `<summary>Calibration per subject (${c.subjects.length})</summary>`, '', mdRow(CALIBRATION_HEAD), align)
      for (const s of c.subjects) out.push(mdRow(calibrationRow(md(s.subject), s)))
      out.push('', '</details>', '')
    }
  }
  const b = a.letterBias
  if (b) {
    out.push('### Answer letters', '', `${b.strong ? `**Strong bias:** the model ${biasPhrase(b)}. ` : ''}${biasNote(b)}`, '')
    out.push(mdRow(['', ...b.letters, ...(b.invalid ? ['invalid'] : [])]), `|---|${b.letters.map(() => '---:|').join('')}${b.invalid ? '---:|' : ''}`)
    out.push(mdRow(['key', ...b.keyShares.map(pct1), ...(b.invalid ? [''] : [])]))
    out.push(mdRow(['given', ...b.givenShares.map(pct1), ...(b.invalid ? [String(b.invalid)] : [])]))
    if (b.wrong > 0) {
      out.push(mdRow(['wrong answers', ...b.wrongCounts.map((c) => pct1(c / b.wrong)), ...(b.invalid ? [''] : [])]))
      out.push(mdRow(['expected if no preference', ...b.wrongExpected.map((c) => pct1(c / b.wrong)), ...(b.invalid ? [''] : [])]))
    }
    out.push('', 'Confusion matrix: rows are the keys, columns the letters given.', '')
    out.push(mdRow(['key \\ given', ...b.letters, 'invalid']), `|---|${b.letters.map(() => '---:|').join('')}---:|`)
    for (const r of b.confusion) out.push(mdRow([r.expected, ...r.given.map(String), String(r.invalid)]))
    out.push('')
  }
  return out
}

// ---- HTML -----------------------------------------------------------------

const NORMALISED_COLOR = '#4e79a7'
const RAW_COLOR = '#bab0ac'
const KEY_COLOR = '#9d9d9d'
const GIVEN_COLOR = '#e15759'

const binLabel = (i: number) => `${(i * 100) / CALIBRATION_BINS}–${((i + 1) * 100) / CALIBRATION_BINS}`

/** Accuracy per confidence bin (bars, labelled with their counts) against the diagonal of perfect calibration. */
export function reliabilityDiagram(normalised: CalibrationFigures, raw: CalibrationFigures | undefined, svg: Svg, width = CHART_HALF, height = 320): string | undefined {
  if (!normalised.bins.some((b) => b.count > 0)) return undefined
  const bars = (f: CalibrationFigures) => f.bins.map((b) => (b.count > 0 && finite(b.accuracy) ? { value: +(b.accuracy * 100).toFixed(2), count: b.count } : { value: '-', count: 0 }))
  const series = (name: string, f: CalibrationFigures, color: string) => ({
    name,
    type: 'bar' as const,
    barGap: '8%',
    itemStyle: { color },
    data: bars(f).map((d) => ({ value: d.value, label: { show: d.count > 0, position: 'top' as const, formatter: `${d.count}`, fontSize: 10, color: '#444' } })),
  })
  return svg(
    {
      legend: { top: 0, left: 'center', itemWidth: 14, itemHeight: 10, textStyle: { fontSize: 11 } },
      grid: { left: 8, right: 16, top: 34, bottom: 26, containLabel: true },
      xAxis: { type: 'category', name: 'confidence %', nameLocation: 'middle', nameGap: 24, data: normalised.bins.map((_, i) => binLabel(i)), axisLabel: { fontSize: 10, interval: 0 } },
      yAxis: { type: 'value', name: 'accuracy %', min: 0, max: 100, splitLine: { lineStyle: { color: '#eee' } } },
      series: [
        series('normalised', normalised, NORMALISED_COLOR),
        ...(raw ? [series('raw', raw, RAW_COLOR)] : []),
        {
          name: 'perfect calibration',
          type: 'line',
          symbol: 'none',
          lineStyle: { type: 'dashed', color: '#222', width: 1.2 },
          itemStyle: { color: '#222' },
          data: normalised.bins.map((_, i) => ((i + 0.5) * 100) / CALIBRATION_BINS),
        },
      ],
    },
    width,
    height,
  )
}

/** Key share and given share per letter, side by side. */
export function letterChart(b: LetterBias, svg: Svg, width = CHART_HALF, height = 320): string | undefined {
  if (b.withLetter === 0) return undefined
  const bars = (xs: number[]) => xs.map((x) => +((x ?? 0) * 100).toFixed(2))
  return svg(
    {
      legend: { top: 0, left: 'center', itemWidth: 14, itemHeight: 10, textStyle: { fontSize: 11 } },
      grid: { left: 8, right: 16, top: 34, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: b.letters },
      yAxis: { type: 'value', name: '% of answers', min: 0, splitLine: { lineStyle: { color: '#eee' } } },
      series: [
        { name: 'is the key', type: 'bar', itemStyle: { color: KEY_COLOR }, data: bars(b.keyShares), label: { show: true, position: 'top', formatter: '{c}%', fontSize: 10 } },
        { name: 'given', type: 'bar', itemStyle: { color: GIVEN_COLOR }, data: bars(b.givenShares), label: { show: true, position: 'top', formatter: '{c}%', fontSize: 10 } },
      ],
    },
    width,
    height,
  )
}

function htmlTable(id: string, head: readonly string[], rows: readonly string[][]): string {
  return `<table id="${id}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`
}

export function calibrationTable(c: Calibration & { subjects: SubjectCalibration[] }): string {
  const rows = [calibrationRow('all', c), ...(c.subjects.length > 1 ? c.subjects.map((s) => calibrationRow(s.subject, s)) : [])]
  return htmlTable('calibration', CALIBRATION_HEAD, rows)
}

export function confusionTable(b: LetterBias, id = 'confusion'): string {
  const rows = b.confusion.map((r) => [r.expected, ...r.given.map(String), String(r.invalid)])
  rows.push(['given', ...b.givenCounts.map(String), String(b.invalid)])
  return htmlTable(id, ['key \\ given', ...b.letters, 'invalid'], rows)
}

/** The summary page's section: calibration (log-prob runs) and answer letters; empty when nothing was answered. */
export function analysisSection(a: RunAnalysis, svg: Svg): string {
  const parts: string[] = []
  const c = a.calibration
  if (c && c.answers > 0) {
    parts.push(
      '<h2>Calibration</h2>',
      `<p class="explain">${esc(CALIBRATION_NOTE)}</p>`,
      '<div class="charts">',
      figure(
        'chart-reliability',
        `Reliability: accuracy per confidence bin (count on each bar) · dashed: perfect calibration · ECE ${pct1(c.normalised.ece)} (raw ${pct1(c.raw.ece)})`,
        reliabilityDiagram(c.normalised, c.raw, svg),
        false,
      ),
      `<div class="side">${calibrationTable(c)}</div>`,
      '</div>',
    )
  }
  const b = a.letterBias
  if (b) {
    parts.push(
      '<h2>Answer letters</h2>',
      `<p class="explain">${b.strong ? `<b>Strong bias:</b> the model ${esc(biasPhrase(b))}. ` : ''}${esc(biasNote(b))}</p>`,
      '<div class="charts">',
      figure('chart-letters', 'How often each letter is the key, and how often the model gave it', letterChart(b, svg), false),
      `<div class="side"><p>Confusion matrix: rows are the keys, columns the letters given.</p>${confusionTable(b)}</div>`,
      '</div>',
    )
  }
  return parts.length ? `<section id="analysis">\n${parts.join('\n')}\n</section>` : ''
}

export const ANALYSIS_STYLE = `
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.charts .side { flex: 1 1 420px; overflow-x: auto; }
.explain { color: var(--muted); max-width: 900px; }
#calibration, table[id^=confusion] { width: auto; }
`
