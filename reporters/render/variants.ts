// How a run that asked questions more than once (trials, rotated options), a
// sample, or under a named protocol is shown: terminal lines, Markdown
// tables, and the summary page's facts, tables and charts. Pure functions
// over the summaries; nothing here is computed again (src/analysis/trials.ts
// and rotation.ts compute, these only format).
import { rotationName } from '../../src/analysis/rotation.js'
import type { RotationSummary } from '../../src/analysis/rotation.js'
import type { TrialSpread } from '../../src/analysis/trials.js'
import { PROTOCOLS } from '../../src/prompt/protocols.js'
import type { ResultsFile, RunConfig } from '../../src/run/results.js'
import type { RunSummary, SubjectSummary } from '../../src/run/summary.js'
import { maxOf } from '../../src/base/extent.js'
import { md } from './escape.js'
import type { Svg } from './page.js'
import { CHART_HALF, CHART_WIDE, errorBars, esc, figure } from './page.js'
import { pct, table } from './format.js'

const points = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} points` : '–')

/** `protocol lm-eval (MMLU_SHOTS=0 overrides it: lm-eval sets 5)`; undefined without one. */
export function protocolLabel(config: Pick<RunConfig, 'protocol'>): string | undefined {
  const p = config.protocol
  if (!p) return undefined
  return `protocol ${p.name}${p.overrides.length ? ` (overridden: ${p.overrides.join(', ')})` : ''}`
}

/** `5 trials at temperature 1, seeds from 42 · options rotated · seeded sample of 20 per subject (seed 42)`; undefined for a default run. */
export function asksLabel(config: Pick<RunConfig, 'asks' | 'promptFormat'>): string | undefined {
  const a = config.asks
  const parts: string[] = []
  if (config.promptFormat === 'chat') parts.push('prompt as chat turns (each example a user turn, its letter the reply)')
  if (a) {
    const sampling = a.temperature > 0 ? `temperature ${a.temperature} (seeds from MMLU_SEED ${a.seed})` : 'greedy'
    if (a.trials > 1) parts.push(`${a.trials} trials per question, ${sampling}${a.temperature === 0 ? ': trials give the same answers' : ''}`)
    else if (a.temperature > 0) parts.push(sampling)
    if (a.rotate) parts.push('options rotated: each question once per rotation, the key under each letter once')
    if (a.sample) parts.push(`seeded random sample of ${a.sample}, weighted to the full set (seed ${a.seed})`)
  }
  return parts.length ? parts.join(' · ') : undefined
}

/** The header's extra line, or none for a default run. */
export function renderAsksHeader(config: RunConfig): string | undefined {
  const parts = [protocolLabel(config), asksLabel(config)].filter(Boolean)
  return parts.length ? `      ${parts.join(' · ')}` : undefined
}

/** Which average a run shows first: its protocol's (Meta's model-card figures are macro), else micro. */
export function headlineOf(config: Pick<RunConfig, 'protocol'>): 'micro' | 'macro' {
  return config.protocol ? PROTOCOLS[config.protocol.name].headline : 'micro'
}

export function trialsLine(t: TrialSpread, temperature?: number): string {
  return (
    `${t.trials} trials${temperature !== undefined ? ` at temperature ${temperature}` : ''} · mean ${pct(t.mean)} (min ${pct(t.min)}, max ${pct(t.max)}, sd ${points(t.sd)}) · ` +
    `majority vote ${pct(t.majority)} · letters agree on every trial for ${pct(t.unanimous)} of questions, ${pct(t.agreement)} of letters agree with the majority (letters only: fewer than two is no agreement)` +
    // Older results files have no noLetter.
    (t.noLetter !== undefined ? ` · no letter in ${pct(t.noLetter)} of trials` : '')
  )
}

export function rotationLine(r: RotationSummary): string {
  const per = r.accuracies.map((a, i) => `${i === 0 ? 'as written' : `+${i}`} ${pct(a)}`).join(' · ')
  const incomplete = r.incomplete ? ` (${r.incomplete} not asked under every rotation: left out)` : ''
  // Older results files have no keptAsWritten.
  const kept = r.keptAsWritten ? ` · ${r.keptAsWritten} question${r.keptAsWritten === 1 ? '' : 's'} kept as written (an option points at others: "All of the above", "A and C"), outside these figures` : ''
  return `per rotation ${per} · circular ${pct(r.circular)} (right under all ${r.rotations}) · consistent ${pct(r.consistency)} (same option under all ${r.rotations})${incomplete}${kept}`
}

/** How the intervals treat repeated asks, in one phrase. */
export function clusteringNote(run: Pick<RunSummary, 'questions' | 'questionsAsked'>): string | undefined {
  if (run.questionsAsked === undefined) return undefined
  return `each question counts once: ${run.questions} answers to ${run.questionsAsked} questions, intervals clustered by question`
}

/** The totals' extra lines: trials, rotation, how intervals count. */
export function renderVariantTotals(run: RunSummary, config?: Pick<RunConfig, 'asks'>): string[] {
  const lines: string[] = []
  if (run.trials) lines.push(`Trials     ${trialsLine(run.trials, config?.asks?.temperature)}`)
  if (run.rotation) lines.push(`Rotation   ${rotationLine(run.rotation)}`)
  const note = clusteringNote(run)
  if (note) lines.push(`Intervals  ${note}`)
  return lines
}

/** The subject column left-aligned, the numbers right. */
function numbersTable(rows: string[][]): string {
  return table(rows, new Set(rows[0]!.map((_, c) => c).filter((c) => c > 0)))
}

/** Per-subject tables of the trials and the rotations, when the run had them. */
export function renderVariantTables(subjects: readonly SubjectSummary[], run: RunSummary): string[] {
  const out: string[] = []
  const withTrials = subjects.filter((s) => s.trials)
  if (withTrials.length) {
    const rows = [['subject (trials)', 'mean', 'min', 'max', 'sd', 'majority', 'agree', 'unanimous', 'no letter'], ...[...withTrials.map((s) => [s.subject, s.trials!] as const), ...(run.trials && withTrials.length > 1 ? [['all', run.trials] as const] : [])].map(([name, t]) => [name, pct(t.mean), pct(t.min), pct(t.max), (t.sd * 100).toFixed(1), pct(t.majority), pct(t.agreement), pct(t.unanimous), pct(t.noLetter ?? NaN)])]
    out.push(numbersTable(rows))
  }
  const rotated = subjects.filter((s) => s.rotation)
  if (rotated.length) {
    const n = maxOf(rotated.map((s) => s.rotation!.rotations))
    const head = ['subject (rotations)', ...Array.from({ length: n }, (_, i) => (i === 0 ? 'as written' : `+${i}`)), 'circular', 'consistent']
    const rows = [head, ...[...rotated.map((s) => [s.subject, s.rotation!] as const), ...(run.rotation && rotated.length > 1 ? [['all', run.rotation] as const] : [])].map(([name, r]) => [name, ...Array.from({ length: n }, (_, i) => pct(r.accuracies[i] ?? NaN)), pct(r.circular), pct(r.consistency)])]
    out.push(numbersTable(rows))
  }
  return out
}

const mdRow = (cells: readonly string[]) => `| ${cells.join(' | ')} |`

/** The Markdown summary's sections for trials and rotations. */
export function markdownVariants(results: { subjects: readonly SubjectSummary[]; summary: RunSummary; config: RunConfig }): string[] {
  const { subjects, summary: run, config } = results
  const out: string[] = []
  const note = clusteringNote(run)
  if (run.trials) {
    out.push('### Trials', '', `${trialsLine(run.trials, config.asks?.temperature)}.`, '')
    out.push(mdRow(['subject', 'mean', 'min', 'max', 'sd (points)', 'majority vote', 'agreement', 'unanimous', 'no letter']), '|---|---:|---:|---:|---:|---:|---:|---:|---:|')
    for (const [name, t] of [...subjects.filter((s) => s.trials).map((s) => [md(s.subject), s.trials!] as const), ['**all**', run.trials] as const]) {
      out.push(mdRow([name, pct(t.mean), pct(t.min), pct(t.max), (t.sd * 100).toFixed(1), pct(t.majority), pct(t.agreement), pct(t.unanimous), pct(t.noLetter ?? NaN)]))
    }
    out.push('')
  }
  if (run.rotation) {
    const n = run.rotation.rotations
    out.push('### Rotated options', '', `${rotationLine(run.rotation)}.`, '')
    out.push(mdRow(['subject', ...Array.from({ length: n }, (_, i) => rotationName(i)), 'circular', 'consistent']), `|---|${'---:|'.repeat(n + 2)}`)
    for (const [name, r] of [...subjects.filter((s) => s.rotation).map((s) => [md(s.subject), s.rotation!] as const), ['**all**', run.rotation] as const]) {
      out.push(mdRow([name, ...Array.from({ length: n }, (_, i) => pct(r.accuracies[i] ?? NaN)), pct(r.circular), pct(r.consistency)]))
    }
    out.push('')
  }
  if (note) out.push(`Intervals: ${note}.`, '')
  return out
}

/** Protocol, trials, rotation and sample, in the page's list of facts. */
export function variantFactsHtml(results: ResultsFile): [string, string][] {
  const c = results.config
  const run = results.summary
  const facts: [string, string][] = []
  const protocol = protocolLabel(c)
  if (protocol) facts.push(['protocol', esc(protocol.replace(/^protocol /, ''))])
  const asks = asksLabel(c)
  if (asks) facts.push(['asked', esc(asks)])
  if (run.trials) facts.push(['trials', esc(trialsLine(run.trials, c.asks?.temperature))])
  if (run.rotation) facts.push(['rotation', esc(rotationLine(run.rotation))])
  const note = clusteringNote(run)
  if (note) facts.push(['intervals', esc(note)])
  return facts
}

/** Per-subject tables of the trials and the rotations, when the run had them. */
export function variantTablesHtml(results: ResultsFile, subjects: readonly SubjectSummary[]): string {
  const out: string[] = []
  const run = results.summary
  const withTrials = subjects.filter((s) => s.trials)
  if (withTrials.length && run.trials) {
    const rows = [...withTrials.map((s) => [s.subject, s.trials!] as const), ['all', run.trials] as const].map(
      ([name, t]) =>
        `<tr data-subject="${esc(name)}"><td>${esc(name)}</td><td>${t.accuracies.map(pct).join(' · ')}</td><td class="accuracy">${pct(t.mean)}</td><td>${pct(t.min)}–${pct(t.max)}</td><td>${(t.sd * 100).toFixed(1)}</td><td>${pct(t.majority)}</td><td>${pct(t.agreement)}</td><td>${pct(t.unanimous)}</td><td>${pct(t.noLetter ?? NaN)}</td></tr>`,
    )
    out.push(
      '<h2>Trials</h2>',
      `<table id="trials"><thead><tr><th>subject</th><th>each trial</th><th>mean</th><th>min–max</th><th>sd (points)</th><th>majority vote</th><th>agreement</th><th>unanimous</th><th>no letter</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`,
    )
  }
  const rotated = subjects.filter((s) => s.rotation)
  if (rotated.length && run.rotation) {
    const n = run.rotation.rotations
    const rows = [...rotated.map((s) => [s.subject, s.rotation!] as const), ['all', run.rotation] as const].map(
      ([name, r]) =>
        `<tr data-subject="${esc(name)}"><td>${esc(name)}</td>${Array.from({ length: n }, (_, i) => `<td>${pct(r.accuracies[i] ?? NaN)}</td>`).join('')}<td class="accuracy">${pct(r.circular)}</td><td>${pct(r.consistency)}</td></tr>`,
    )
    out.push(
      '<h2>Rotated options</h2>',
      `<table id="rotations"><thead><tr><th>subject</th>${Array.from({ length: n }, (_, i) => `<th>${esc(rotationName(i))}</th>`).join('')}<th>circular</th><th>consistent</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`,
    )
  }
  return out.join('\n')
}

/** The spread across trials per subject, and accuracy per rotation, when the run had them. */
export function variantChartsHtml(results: ResultsFile, subjects: readonly SubjectSummary[], svg: Svg): string[] {
  const charts: string[] = []
  const run = results.summary
  const withTrials = subjects.filter((s) => s.trials && s.trials.accuracies.some(Number.isFinite))
  if (withTrials.length && run.trials) {
    charts.push(
      figure(
        'chart-trials',
        `Spread across ${run.trials.trials} trials per subject: each trial's accuracy (dots), min–max (bar), mean (diamond) · overall mean ${pct(run.trials.mean)}, sd ${(run.trials.sd * 100).toFixed(1)} points`,
        trialSpreadChart(withTrials, svg),
        true,
      ),
    )
  }
  if (run.rotation) {
    charts.push(figure('chart-rotations', `Accuracy under each rotation of the options, and circular accuracy (right under all ${run.rotation.rotations}) · dotted: chance`, rotationChart(run.rotation, svg), false))
  }
  return charts
}

function trialSpreadChart(subjects: readonly SubjectSummary[], svg: Svg): string {
  const sorted = [...subjects].sort((a, b) => a.trials!.mean - b.trials!.mean || b.subject.localeCompare(a.subject))
  const percent = (x: number) => Math.round(x * 1000) / 10
  return svg(
    {
      grid: { left: 30, right: 30, top: 12, bottom: 30, containLabel: true },
      xAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' }, splitLine: { lineStyle: { color: '#eee' } } },
      yAxis: { type: 'category', data: sorted.map((s) => s.subject), axisTick: { show: false }, axisLabel: { fontSize: 12 } },
      series: [
        { type: 'custom', renderItem: errorBars, encode: { x: [1, 2], y: 0 }, data: sorted.map((s, i) => [i, percent(s.trials!.min), percent(s.trials!.max)]), z: 5 },
        { type: 'scatter', symbolSize: 7, itemStyle: { color: '#4e79a7', opacity: 0.7 }, data: sorted.flatMap((s, i) => s.trials!.accuracies.filter(Number.isFinite).map((a) => [percent(a), i])), z: 8 },
        { type: 'scatter', symbol: 'diamond', symbolSize: 12, itemStyle: { color: '#c62828' }, data: sorted.map((s, i) => [percent(s.trials!.mean), i]), z: 10 },
      ],
    },
    CHART_WIDE,
    70 + sorted.length * 24,
  )
}

function rotationChart(r: NonNullable<ResultsFile['summary']['rotation']>, svg: Svg): string {
  const names = [...r.accuracies.map((_, i) => rotationName(i)), 'circular', 'consistent']
  const values = [...r.accuracies, r.circular, r.consistency].map((x) => (Number.isFinite(x) ? Math.round(x * 1000) / 10 : 0))
  return svg(
    {
      grid: { left: 8, right: 24, top: 30, bottom: 24, containLabel: true },
      xAxis: { type: 'category', data: names, axisLabel: { fontSize: 11, interval: 0 } },
      yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' }, splitLine: { lineStyle: { color: '#eee' } } },
      series: [
        {
          type: 'bar',
          data: values.map((v, i) => ({ value: v, itemStyle: { color: i < r.accuracies.length ? '#4e79a7' : i === r.accuracies.length ? '#2e7d32' : '#b07aa1' } })),
          label: { show: true, position: 'top', formatter: ({ value }) => `${(value as number).toFixed(1)}%`, fontSize: 11 },
          markLine: { symbol: 'none', silent: true, label: { show: false }, data: [{ yAxis: 25, lineStyle: { type: 'dotted', color: '#888', width: 1.5 } }] },
        },
      ],
    },
    CHART_HALF,
    300,
  )
}
