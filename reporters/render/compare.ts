// `npm run compare`: a RunComparison (src/analysis/compare.ts) as the terminal
// table, reports/compare.md and reports/compare.html. Pure: the comparison and
// the flipped questions' texts in, text out. One piece: the three outputs
// show the same rows and share their cell helpers, so they change together.
import type { ComparedRun, Flip, PairedRow, RunComparison, RunVsReference } from '../../src/analysis/compare.js'
import type { RunAnalysis } from '../../src/analysis/run.js'
import type { QuestionLookup } from '../../src/dataset/lookup.js'
import type { Question } from '../../src/dataset/question.js'
import { CATEGORY_LABELS } from '../../src/dataset/subjects.js'
import type { Category } from '../../src/dataset/subjects.js'
import { formatP } from '../../src/analysis/paired.js'
import { variantSuffix } from '../../src/base/record.js'
import { rotateQuestion } from '../../src/prompt/variants.js'
import { biasPhrase, CALIBRATION_NOTE, confusionTable, preferenceP } from './analysis.js'
import type { Svg } from './page.js'
import { CHART_HALF, CHART_WIDE, chartRenderer, esc, figure, pageShell, STYLE } from './page.js'
import { ci, pct, rate, table } from './format.js'
import { maxOf } from '../../src/base/extent.js'
import { isSimulatedRun } from '../../src/base/simulated.js'
import { md, mdRow, printable, printableLines } from './escape.js'
import { runProtocol } from './runs-index.js'

/** Subject → its questions' text (or why there is none), read by the compare command from the runs' data folder. */
export type QuestionTexts = ReadonlyMap<string, QuestionLookup>

const RUN_COLORS = ['#4e79a7', '#e15759', '#59a14f', '#f28e2b', '#b07aa1', '#76b7b2', '#edc948', '#9c755f']
const KEY_COLOR = '#9d9d9d'

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x)
const points = (d: number) => (finite(d) ? `${d >= 0 ? '+' : '−'}${Math.abs(d * 100).toFixed(1)}` : '–')
const pctOrDash = (x: number | null | undefined) => (finite(x) ? pct(x) : '–')
const categoryName = (c: string) => (c in CATEGORY_LABELS ? CATEGORY_LABELS[c as Category] : c)

function protocolOf(r: ComparedRun): string {
  const { engine, scoring, shots, limit } = r.results.config
  return runProtocol({ engine, scoring, shots, limit, ...(isSimulatedRun(r.results) ? { simulated: true as const } : {}) })
}

function rowCells(p: PairedRow, name: string, alpha: number): string[] {
  const significant = p.adjustedP < alpha ? ' *' : ''
  return [
    name,
    String(p.n),
    `${pct(p.reference.accuracy)} ${ci(p.reference.ci95)}`,
    `${pct(p.other.accuracy)} ${ci(p.other.ci95)}`,
    points(p.difference),
    String(p.rightToWrong),
    String(p.wrongToRight),
    formatP(p.pValue),
    `${formatP(p.adjustedP)}${significant}`,
    pctOrDash(p.agreement),
  ]
}

function head(c: RunComparison, pair: RunVsReference): string[] {
  const ref = c.runs[0]!.label
  const other = c.runs[pair.run]!.label
  return ['', 'paired', ref, other, 'Δ points', 'right→wrong', 'wrong→right', 'p (exact McNemar)', 'p (Holm)', 'same letter']
}

function pairRows(c: RunComparison, pair: Extract<RunVsReference, { kind: 'compared' }>): string[][] {
  return [
    ...pair.subjects.map((p) => rowCells(p, p.name, c.alpha)),
    ...pair.categories.map((p) => rowCells(p, `${categoryName(p.name)} (category)`, c.alpha)),
    rowCells(pair.overall, 'all', c.alpha),
  ]
}

/** The question as it was asked: with its options rotated when the flip is of a rotated ask, so letters name the options shown. */
function questionOf(texts: QuestionTexts | undefined, subject: string, index: number, rotation?: number) {
  const found = texts?.get(subject)
  const q = found && 'questions' in found ? byIndex(found.questions).get(index) : undefined
  return q && rotation !== undefined ? rotateQuestion(q, rotation) : q
}

// One index per subject's questions, built on first use: a find per flip made
// compare quadratic (two 100k-question runs took 41 s).
const indexes = new WeakMap<readonly Question[], Map<number, Question>>()
function byIndex(questions: readonly Question[]): Map<number, Question> {
  let index = indexes.get(questions)
  if (!index) indexes.set(questions, (index = new Map(questions.map((q) => [q.index, q]))))
  return index
}

function flipsBySubject(flips: readonly Flip[]): Map<string, Flip[]> {
  const by = new Map<string, Flip[]>()
  for (const f of flips) {
    const list = by.get(f.subject)
    if (list) list.push(f)
    else by.set(f.subject, [f])
  }
  return by
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim()
const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`)

function answerText(q: { choices: readonly string[] } | undefined, letter: string | null): string {
  if (letter === null) return 'no letter'
  const i = letter.charCodeAt(0) - 65
  const text = q?.choices[i]
  return text === undefined ? letter : `${letter} (${clip(oneLine(text), 60)})`
}

/** `astronomy #3 · key A (A length of time) · fixed-A A → fixed-D D (A distance) · What kind of…` */
export function formatFlipWithText(f: Flip, texts: QuestionTexts | undefined, ref: string, other: string, width = 120): string {
  const q = questionOf(texts, f.subject, f.index, f.rotation)
  const what = q ? ` · ${clip(oneLine(q.question), width)}` : ''
  // An answer that is the key is not spelled out twice.
  const given = (l: string | null) => (l === f.expected ? (l as string) : answerText(q, l))
  return `${f.subject} #${f.index}${variantSuffix(f)} · key ${answerText(q, f.expected)} · ${ref} ${given(f.before)} → ${other} ${given(f.after)}${what}`
}

function calibrationRows(c: RunComparison): string[][] {
  return c.runs.flatMap((r, i) => {
    const a = c.analyses[i] as RunAnalysis
    const cal = a.calibration
    const bias = a.letterBias
    return [[r.label, cal ? pctOrDash(cal.normalised.ece) : '–', cal ? pctOrDash(cal.raw.ece) : '–', cal && finite(cal.normalised.brier) ? cal.normalised.brier.toFixed(3) : '–', cal ? pctOrDash(cal.normalised.meanConfidence) : '–', cal ? pctOrDash(cal.normalised.accuracy) : '–', bias ? `${biasPhrase(bias)}${bias.strong ? ' (strong)' : ''}` : '–', bias ? preferenceP(bias.test).replace(/^p /, '') : '–']]
  })
}
const CALIBRATION_HEAD = ['run', 'ECE', 'ECE (raw)', 'Brier', 'mean confidence', 'accuracy', 'letter most over-given in wrong answers', 'letters p (no preference)']

const anyProbabilities = (c: RunComparison) => c.analyses.some((a) => a.calibration !== undefined)

// ---- terminal -------------------------------------------------------------

export function renderCompareTerminal(c: RunComparison, texts: QuestionTexts | undefined, flipsShown = 10): string {
  const out: string[] = []
  c.runs.forEach((r, i) => out.push(`${i === 0 ? 'Reference ' : `Run ${i}     `}${r.label} · ${protocolOf(r)} · ${r.results.createdAt} · ${r.file}`))
  for (const pair of c.pairs) {
    const other = c.runs[pair.run]!.label
    out.push('')
    if (pair.kind === 'refused') {
      out.push(`Refused    ${other} cannot be compared with ${c.runs[0]!.label} question by question:`)
      for (const r of pair.reasons) out.push(`           ✗ ${r}`)
      continue
    }
    for (const w of pair.warnings) out.push(`Warning    ${w}`)
    out.push(table([head(c, pair), ...pairRows(c, pair)], new Set([1, 4, 5, 6, 7, 8, 9])))
    out.push(`           * Holm-adjusted p < α ${c.alpha} (subjects adjusted across subjects, categories across categories)`)
    const shown = pair.flips.slice(0, flipsShown)
    out.push(`Flipped    ${pair.flips.filter((f) => f.direction === 'right→wrong').length} right→wrong, ${pair.flips.filter((f) => f.direction === 'wrong→right').length} wrong→right${pair.flips.length > shown.length ? ` · first ${shown.length} here, all in compare.md` : ''}`)
    for (const f of shown) out.push(`           ${f.direction} ${formatFlipWithText(f, texts, c.runs[0]!.label, other, 80)}`)
  }
  if (anyProbabilities(c)) {
    out.push('', table([CALIBRATION_HEAD, ...calibrationRows(c)], new Set([1, 2, 3, 4, 5, 7])))
  }
  const missing = [...(texts ?? new Map<string, QuestionLookup>())].filter(([, t]) => 'reason' in t)
  for (const [subject, t] of missing) out.push(`Texts      ${subject}: no question text, ${(t as { reason: string }).reason}`)
  // Question texts, labels and file names are data: shown, never obeyed.
  return printableLines(out.join('\n'))
}

// ---- Markdown -------------------------------------------------------------

/** A row of data cells (labels, subjects, figures), each escaped. */
const dataRow = (cells: readonly string[]) => mdRow(cells.map(md))

export function renderCompareMarkdown(c: RunComparison, texts: QuestionTexts | undefined): string {
  const out: string[] = ['# MMLU runs compared', '']
  out.push(dataRow(['', 'run', 'protocol', 'date', 'questions', 'accuracy', '95% CI', 'q/s', 'file']), '|---|---|---|---|---:|---:|---|---:|---|')
  c.runs.forEach((r, i) => {
    const s = r.results.summary
    out.push(dataRow([i === 0 ? 'reference' : `run ${i}`, r.label, protocolOf(r), r.results.createdAt, String(s.questions), pct(s.microAccuracy), ci(s.microCi95), rate(s.questionsPerSecond), r.file]))
  })
  out.push('')
  for (const pair of c.pairs) {
    const ref = c.runs[0]!.label
    const other = c.runs[pair.run]!.label
    out.push(`## ${md(other)} vs ${md(ref)}`, '')
    if (pair.kind === 'refused') {
      out.push('**Not compared:** the runs did not ask the same prompts about the same data.', '')
      for (const r of pair.reasons) out.push(`- ❌ ${md(r)}`)
      out.push('')
      continue
    }
    for (const w of pair.warnings) out.push(`> ⚠️ ${md(w)}`, '')
    out.push(
      `Paired by subject and question; exact McNemar test on the flips; Holm-adjusted across subjects (categories across categories); * marks adjusted p < α ${c.alpha}. Same letter: both runs gave the same letter.`,
      '',
    )
    const rows = pairRows(c, pair)
    out.push(dataRow(head(c, pair)), `|---|${'---:|'.repeat(9)}`)
    for (const r of rows) out.push(r[0] === 'all' ? mdRow(['**all**', ...r.slice(1).map(md)]) : dataRow(r))
    out.push('')
    const bySubject = flipsBySubject(pair.flips)
    out.push(`### Flipped questions (${pair.flips.length})`, '')
    for (const [subject, flips] of bySubject) {
      // An HTML block: its line is HTML, not Markdown, so the subject is escaped as HTML.
      out.push('<details>', `<summary>${esc(printable(subject))}: ${flips.filter((f) => f.direction === 'right→wrong').length} right→wrong, ${flips.filter((f) => f.direction === 'wrong→right').length} wrong→right</summary>`, '')
      for (const f of flips) out.push(`- ${f.direction === 'right→wrong' ? '🔻' : '🔺'} ${md(formatFlipWithText(f, texts, ref, other, 400))}`)
      out.push('', '</details>', '')
    }
  }
  if (anyProbabilities(c)) {
    out.push('## Calibration and answer letters', '', CALIBRATION_NOTE, '', dataRow(CALIBRATION_HEAD), `|---|${'---:|'.repeat(5)}---|---:|`)
    for (const r of calibrationRows(c)) out.push(dataRow(r))
    out.push('')
  }
  const missing = [...(texts ?? new Map<string, QuestionLookup>())].filter(([, t]) => 'reason' in t)
  if (missing.length) {
    out.push('Question texts not shown:', '')
    for (const [subject, t] of missing) out.push(`- ${md(subject)}: ${md((t as { reason: string }).reason)}`)
    out.push('')
  }
  return `${out.join('\n')}\n`
}

// ---- HTML -----------------------------------------------------------------

/** Δ accuracy per subject (and the whole), one bar per compared run; solid where the Holm-adjusted p is below α. */
function differenceChart(c: RunComparison, svg: Svg): string | undefined {
  const pairs = c.pairs.filter((p): p is Extract<RunVsReference, { kind: 'compared' }> => p.kind === 'compared')
  if (pairs.length === 0) return undefined
  const names = [...new Set(pairs.flatMap((p) => p.subjects.map((s) => s.name)))].sort().reverse()
  const rows = [...names, 'all']
  const height = Math.max(200, 80 + rows.length * Math.max(18, 10 * pairs.length + 8))
  // Symmetric around 0, at least ±5 points, so a small difference looks small.
  const widest = maxOf(pairs.flatMap((p) => [...p.subjects, p.overall].map((r) => (finite(r.difference) ? Math.abs(r.difference * 100) : 0))), 5)
  const bound = Math.ceil(widest / 5) * 5
  return svg(
    {
      legend: { top: 0, left: 'center', textStyle: { fontSize: 11 } },
      grid: { left: 16, right: 40, top: 30, bottom: 40, containLabel: true },
      xAxis: { type: 'value', name: 'Δ points', nameLocation: 'middle', nameGap: 26, min: -bound, max: bound, axisLabel: { formatter: '{value}' }, splitLine: { lineStyle: { color: '#eee' } } },
      yAxis: { type: 'category', data: rows, axisTick: { show: false }, axisLabel: { fontSize: 12 } },
      series: pairs.map((p) => {
        const color = RUN_COLORS[p.run % RUN_COLORS.length] as string
        const of = (name: string) => (name === 'all' ? p.overall : p.subjects.find((s) => s.name === name))
        return {
          name: `${c.runs[p.run]!.label} − ${c.runs[0]!.label}`,
          type: 'bar' as const,
          itemStyle: { color },
          data: rows.map((name) => {
            const r = of(name)
            if (!r) return '-'
            const significant = r.adjustedP < c.alpha
            return { value: +(r.difference * 100).toFixed(2), itemStyle: { color, opacity: significant ? 1 : 0.35 }, label: { show: true, position: 'right' as const, formatter: `${points(r.difference)}${significant ? ' *' : ''}`, fontSize: 10 } }
          }),
        }
      }),
    },
    CHART_WIDE,
    height,
  )
}

/** Each run's reliability curve (normalised confidence) against the diagonal. */
function reliabilityCurves(c: RunComparison, svg: Svg): string | undefined {
  const withCal = c.runs.map((r, i) => ({ r, i, cal: c.analyses[i]?.calibration })).filter((x) => x.cal && x.cal.answers > 0)
  if (withCal.length === 0) return undefined
  return svg(
    {
      legend: { bottom: 0, left: 'center', textStyle: { fontSize: 11 } },
      grid: { left: 8, right: 20, top: 30, bottom: 60, containLabel: true },
      xAxis: { type: 'value', name: 'confidence %', nameLocation: 'middle', nameGap: 24, min: 0, max: 100 },
      yAxis: { type: 'value', name: 'accuracy %', min: 0, max: 100, splitLine: { lineStyle: { color: '#eee' } } },
      series: [
        ...withCal.map(({ r, i, cal }) => ({
          name: `${r.label} (ECE ${pctOrDash(cal!.normalised.ece)})`,
          type: 'line' as const,
          symbolSize: 7,
          itemStyle: { color: RUN_COLORS[i % RUN_COLORS.length] },
          data: cal!.normalised.bins.filter((b) => b.count > 0).map((b) => ({ value: [+(b.meanConfidence * 100).toFixed(2), +(b.accuracy * 100).toFixed(2)], label: { show: true, formatter: `${b.count}`, fontSize: 9, position: 'top' as const } })),
        })),
        { name: 'perfect calibration', type: 'line' as const, symbol: 'none', lineStyle: { type: 'dashed' as const, color: '#222' }, itemStyle: { color: '#222' }, data: [[0, 0], [100, 100]] },
      ],
    },
    CHART_HALF,
    340,
  )
}

/** Key shares (of the reference's questions) and each run's given shares per letter. */
function lettersSideBySide(c: RunComparison, svg: Svg): string | undefined {
  const biases = c.analyses.map((a) => a.letterBias)
  const ref = biases[0]
  if (!ref || ref.withLetter === 0) return undefined
  const share = (xs: number[]) => xs.map((x) => +((x ?? 0) * 100).toFixed(2))
  return svg(
    {
      legend: { bottom: 0, left: 'center', textStyle: { fontSize: 11 } },
      grid: { left: 8, right: 16, top: 30, bottom: 36, containLabel: true },
      xAxis: { type: 'category', data: ref.letters },
      yAxis: { type: 'value', name: '% of answers', min: 0, splitLine: { lineStyle: { color: '#eee' } } },
      series: [
        { name: 'is the key', type: 'bar', itemStyle: { color: KEY_COLOR }, data: share(ref.keyShares) },
        ...biases.flatMap((b, i) =>
          b ? [{ name: `${c.runs[i]!.label} gives`, type: 'bar' as const, itemStyle: { color: RUN_COLORS[i % RUN_COLORS.length] }, data: ref.letters.map((l) => +((b.givenShares[b.letters.indexOf(l)] ?? 0) * 100).toFixed(2)) }] : [],
        ),
      ],
    },
    CHART_HALF,
    340,
  )
}

function htmlTable(id: string, headCells: readonly string[], rows: readonly string[][], left = 1): string {
  return `<table id="${esc(id)}"><thead><tr>${headCells.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${i < left ? ' class="name"' : ''}>${esc(c)}</td>`).join('')}</tr>`)
    .join('\n')}</tbody></table>`
}

function flipsHtml(pair: Extract<RunVsReference, { kind: 'compared' }>, texts: QuestionTexts | undefined, ref: string, other: string): string {
  const bySubject = flipsBySubject(pair.flips)
  const blocks = [...bySubject].map(([subject, flips]) => {
    const rows = flips.map((f) => {
      const q = questionOf(texts, f.subject, f.index, f.rotation)
      return `<tr class="${f.direction === 'right→wrong' ? 'worse' : 'better'}"><td>${f.index}${variantSuffix(f)}</td><td class="text">${q ? esc(oneLine(q.question)) : '<span class="empty">text not available</span>'}</td><td>${esc(answerText(q, f.expected))}</td><td>${esc(answerText(q, f.before))}</td><td>${esc(answerText(q, f.after))}</td><td>${f.direction}</td></tr>`
    })
    const down = flips.filter((f) => f.direction === 'right→wrong').length
    return `<details data-subject="${esc(subject)}"><summary>${esc(subject)} · ${down} right→wrong, ${flips.length - down} wrong→right</summary><table class="flips"><thead><tr><th>#</th><th>question</th><th>key</th><th>${esc(ref)}</th><th>${esc(other)}</th><th>flip</th></tr></thead><tbody>${rows.join('\n')}</tbody></table></details>`
  })
  return blocks.join('\n')
}

export async function renderCompareHtml(c: RunComparison, texts: QuestionTexts | undefined): Promise<string> {
  const svg = await chartRenderer()
  const ref = c.runs[0]!.label
  const runsRows = c.runs.map((r, i) => {
    const s = r.results.summary
    return [i === 0 ? 'reference' : `run ${i}`, r.label, protocolOf(r), r.results.createdAt, String(s.questions), pct(s.microAccuracy), ci(s.microCi95), rate(s.questionsPerSecond), r.file]
  })
  const sections = c.pairs.map((pair) => {
    const other = c.runs[pair.run]!.label
    const title = `<h2>${esc(other)} vs ${esc(ref)}</h2>`
    if (pair.kind === 'refused') {
      return `<section class="pair refused">${title}<p><b>Not compared:</b> the runs did not ask the same prompts about the same data.</p><ul>${pair.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul></section>`
    }
    const warnings = pair.warnings.map((w) => `<p class="warning">⚠ ${esc(w)}</p>`).join('')
    return `<section class="pair" data-run="${pair.run}">${title}${warnings}<p class="explain">Paired by subject and question; exact McNemar test on the flips; Holm-adjusted across subjects (categories across categories); * marks adjusted p &lt; α ${c.alpha}. Same letter: both runs gave the same letter.</p>${htmlTable(`pair-${pair.run}`, head(c, pair), pairRows(c, pair))}<h3>Flipped questions (${pair.flips.length})</h3>${flipsHtml(pair, texts, ref, other)}</section>`
  })
  const charts = [figure('chart-compare', `Accuracy difference per subject against ${ref}, in points · solid and *: Holm-adjusted p < α ${c.alpha}`, differenceChart(c, svg), true)]
  if (anyProbabilities(c)) charts.push(figure('chart-compare-reliability', 'Reliability: accuracy per confidence bin, each run (counts at the points) · dashed: perfect calibration', reliabilityCurves(c, svg), false))
  charts.push(figure('chart-compare-letters', 'How often each letter is the key, and how often each run gave it', lettersSideBySide(c, svg), false))
  const analysis = `<section id="analysis"><h2>Calibration and answer letters</h2><p class="explain">${esc(CALIBRATION_NOTE)}</p>${htmlTable('compare-calibration', CALIBRATION_HEAD, calibrationRows(c))}${c.analyses
    .map((a, i) => (a.letterBias ? `<h3>${esc(c.runs[i]!.label)}: confusion matrix (rows: keys, columns: letters given)</h3>${confusionTable(a.letterBias, `confusion-${i}`)}` : ''))
    .join('')}</section>`
  const missing = [...(texts ?? new Map<string, QuestionLookup>())].filter(([, t]) => 'reason' in t)
  return pageShell(`MMLU compared · ${esc(c.runs.map((r) => r.label).join(' vs '))}`, `${STYLE}${COMPARE_STYLE}`, `<header>
<h1>MMLU runs compared</h1>
${htmlTable('runs', ['', 'run', 'protocol', 'date', 'questions', 'accuracy', '95% CI', 'q/s', 'file'], runsRows, 2)}
</header>
<main>
<section id="charts">
${charts.join('\n')}
</section>
${sections.join('\n')}
${analysis}
${missing.length ? `<p class="warning">Question texts not shown: ${missing.map(([s, t]) => esc(`${s}: ${(t as { reason: string }).reason}`)).join('; ')}</p>` : ''}
</main>
<footer>Written by npm run compare (vitest-mmlu).</footer>`)
}

const COMPARE_STYLE = `
td.name { text-align: left; }
table[id^=confusion], #compare-calibration { width: auto; }
#runs { font-size: 12px; }
#runs th { text-align: left; }
#runs td:last-child { white-space: normal; word-break: break-all; text-align: left; }
.warning { color: #b45309; }
.explain { color: var(--muted); }
table.flips { font-size: 12px; margin: 6px 0 12px; }
table.flips td.text { text-align: left; white-space: normal; min-width: 320px; }
table.flips td { text-align: left; white-space: normal; }
tr.worse td:last-child { color: #c62828; } tr.better td:last-child { color: #2e7d32; }
section.pair { margin-top: 24px; }
`
