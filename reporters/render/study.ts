// The study's report: reports/study.md and reports/study.html, from a Study
// (src/study/runner.ts). Pure: the study in, text out. One piece: the
// Markdown and the page are built from the same sections(), so they change together.
//   - the seed's tables: accuracy per topic; the sequential runs (per topic and
//     total); the parallel runs; per-question time;
//   - speedup and latency inflation; throughput against in-file concurrency;
//   - the generated explanation;
//   - in HTML, two charts drawn by echarts on the server (summary page helpers):
//     a timeline of every question's start and end per file, which shows at a
//     glance whether requests overlapped or took turns, and throughput (with
//     latency) against the number of questions in flight.
import type { EChartsOption } from 'echarts'
import { relative } from 'node:path'
import type { ProfileFigures, StudyRun } from '../../src/study/analysis.js'
import { timeline } from '../../src/study/analysis.js'
import type { Study } from '../../src/study/runner.js'
import type { Svg } from './page.js'
import { CHART_WIDE, chartRenderer, esc, figure, pageShell, STYLE } from './page.js'
import { md, printable } from './escape.js'
import { ci, ms, pct, rate } from './format.js'
import { maxOf, minOf } from '../../src/base/extent.js'
import { isSimulatedRun, SIMULATED_NOTE } from '../../src/base/simulated.js'

const times = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`)
const SUBJECT_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#bab0ac']

/** A table as rows of cells, rendered to Markdown or HTML alike. */
interface Table {
  id: string
  head: string[]
  rows: string[][]
  /** Columns aligned left (the rest are numbers, right). */
  left?: number
}

function subjectsOf(study: Study): string[] {
  return study.settings.subjects
}

function runLabel(r: StudyRun): string {
  return r.kind === 'concurrent' ? `concurrency ${r.concurrency}` : `${r.kind} #${r.repeat}`
}

function accuracyTable(study: Study): Table {
  const order = subjectsOf(study)
  const sorted = [...study.analysis.accuracy].sort((a, b) => order.indexOf(a.subject) - order.indexOf(b.subject))
  const rows = sorted.map((a) => {
    const distinct = [...new Set(a.correctByRun)]
    const agree = distinct.length === 1 ? `same in all ${a.correctByRun.length}` : `${minOf(a.correctByRun)}–${maxOf(a.correctByRun)} correct`
    return [a.subject, String(a.correct), String(a.total), pct(a.accuracy), ci(a.ci95), agree]
  })
  return { id: 'accuracy', head: ['topic', 'correct', 'total', 'accuracy', '95% CI', 'across runs'], rows, left: 1 }
}

function runsTable(id: string, study: Study, p: ProfileFigures, withOverlap: boolean): Table {
  const subjects = subjectsOf(study)
  const wallOf = (r: StudyRun, s: string) => r.measure.subjects.find((m) => m.subject === s)?.wallMs ?? NaN
  const rows = p.runs.map((r) => [
    `#${r.repeat}`,
    ...subjects.map((s) => ms(wallOf(r, s))),
    ms(r.measure.busyMs),
    ...(withOverlap ? [times(r.measure.overlap)] : []),
    rate(r.measure.throughput),
    ms(r.measure.processWallMs),
  ])
  if (p.runs.length > 1) rows.push(['median', ...subjects.map(() => ''), ms(p.busyMs), ...(withOverlap ? [''] : []), rate(p.throughput), ''])
  return { id, head: ['run', ...subjects, 'total (work)', ...(withOverlap ? ['overlap'] : []), 'q/s', 'Vitest wall'], rows, left: 1 }
}

function latencyTable(study: Study): Table {
  const rows: string[][] = []
  const add = (profile: string, runs: StudyRun[]) => {
    for (const s of subjectsOf(study)) {
      const xs = runs.flatMap((r) => r.measure.subjects.filter((m) => m.subject === s))
      const n = xs.reduce((t, m) => t + m.questions, 0)
      // Pooled over runs: a question-weighted mean of the runs' means.
      const mean = n ? xs.reduce((t, m) => t + m.latencyMs.mean * m.questions, 0) / n : NaN
      rows.push([profile, s, String(n), ms(mean), ms(minOf(xs.map((m) => m.latencyMs.p50))), ms(maxOf(xs.map((m) => m.latencyMs.p95)))])
    }
  }
  const a = study.analysis
  if (a.sequential) add('sequential', a.sequential.runs)
  if (a.files) add('files', a.files.runs)
  if (a.servers) add(`${a.servers.count} servers`, a.servers.runs)
  for (const p of a.sweep) if (p.concurrency > 1) add(`concurrency ${p.concurrency}`, p.runs)
  return { id: 'latency', head: ['profile', 'topic', 'questions', 'mean', 'p50 (lowest run)', 'p95 (highest run)'], rows, left: 2 }
}

const threads = (p: ProfileFigures): number | undefined => {
  const t = p.runs[0]?.results.provenance[0]?.details.threads
  return typeof t === 'number' ? t : undefined
}

function speedupTable(study: Study): Table | undefined {
  const { sequential: s, files: f, speedup, latencyInflation } = study.analysis
  if (!s || !f) return undefined
  return {
    id: 'speedup',
    head: ['', 'sequential', `files in parallel (${f.workersUsed} workers)`, 'ratio'],
    rows: [
      ['work time (median)', ms(s.busyMs), ms(f.busyMs), `speedup ${times(speedup)}`],
      ['throughput (median)', `${rate(s.throughput)} q/s`, `${rate(f.throughput)} q/s`, times(speedup)],
      ['mean latency', ms(s.latencyMs.mean), ms(f.latencyMs.mean), `inflation ${times(latencyInflation)}`],
      ['p95 latency', ms(s.latencyMs.p95), ms(f.latencyMs.p95), times(f.latencyMs.p95 / s.latencyMs.p95)],
      ...(threads(s) !== undefined ? [['llama.cpp threads per worker', String(threads(s)), String(threads(f)), '']] : []),
    ],
    left: 1,
  }
}

function sweepTable(study: Study): Table | undefined {
  const sweep = study.analysis.sweep
  if (sweep.length === 0) return undefined
  return {
    id: 'sweep',
    head: ['in flight per file', 'runs', 'q/s', 'vs concurrency 1', 'mean latency', 'latency vs 1'],
    rows: sweep.map((p) => [String(p.concurrency), String(p.runs.length), rate(p.throughput), times(p.gain), ms(p.latencyMs.mean), times(p.latencyInflation)]),
    left: 1,
  }
}

function markdownTable(t: Table): string {
  const left = t.left ?? 1
  const align = t.head.map((_, i) => (i < left ? '---' : '---:'))
  return [`| ${t.head.map(md).join(' | ')} |`, `|${align.join('|')}|`, ...t.rows.map((r) => `| ${r.map(md).join(' | ')} |`)].join('\n')
}

function htmlTable(t: Table): string {
  const left = t.left ?? 1
  const td = (c: string, i: number, tag: 'td' | 'th') => `<${tag}${i < left ? ' class="l"' : ''}>${esc(c)}</${tag}>`
  return `<table id="${t.id}"><thead><tr>${t.head.map((h, i) => td(h, i, 'th')).join('')}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map((c, i) => td(c, i, 'td')).join('')}</tr>`).join('\n')}</tbody></table>`
}

function engineLine(study: Study): string {
  const e = study.analysis.engine
  return e ? `${e.model} on ${e.engine}` : 'no runs'
}

/** The engine's facts (threads, server version, …) and where the weights came from. */
function engineDetails(study: Study): string {
  const e = study.analysis.engine
  if (!e) return ''
  const details = Object.entries(e.details)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
  return `${e.engine}${details ? ` (${details})` : ''} · ${e.source}${e.digest ? ` · ${e.digest.slice(0, 19)}` : ''}`
}

interface Section {
  title: string
  intro?: string
  table?: Table
}

function sections(study: Study): Section[] {
  const a = study.analysis
  const out: Section[] = [{ title: 'Accuracy per topic', intro: `Greedy answers repeat run after run; the last column checks that they did.`, table: accuracyTable(study) }]
  if (a.sequential) out.push({ title: 'Sequential runs (`a; b`)', intro: 'One file at a time, one question at a time (`npm run eval:sequential`). Each topic\'s own wall time, and their total: the work time, start-up and model loading excluded.', table: runsTable('sequential', study, a.sequential, false) })
  if (a.files) {
    out.push({
      title: 'Parallel runs (`a & b & wait`)',
      intro: `${a.files.workersUsed} files at once in separate Vitest workers, one question at a time in each (\`npm run eval:files\`). Total: from the first question's start to the last one's end; overlap: Σ topic time ÷ total.`,
      table: runsTable('parallel', study, a.files, true),
    })
  }
  out.push({ title: 'Per-question time', table: latencyTable(study) })
  const speedup = speedupTable(study)
  if (speedup) out.push({ title: 'Speedup and latency inflation', intro: 'Speedup = sequential work time ÷ parallel work time (as a throughput ratio); latency inflation = mean latency in parallel ÷ sequential.', table: speedup })
  if (a.servers) {
    out.push({
      title: `Several servers (${a.servers.count})`,
      intro: `The sequential profile over every listed server: one file at a time, one question in flight per server (\`OLLAMA_HOST=a,b npm run eval:sequential\`); every other profile ran on the first server alone. Throughput ${rate(a.servers.throughput)} q/s, ${times(a.serversGain)} the sequential profile's; mean latency ${times(a.serversLatencyInflation)}.`,
      table: runsTable('servers', study, a.servers, false),
    })
  }
  const sweep = sweepTable(study)
  if (sweep) out.push({ title: 'Throughput vs in-file concurrency', intro: 'One file at a time with N questions in flight inside it (`MMLU_CONCURRENCY=N npm run eval:concurrent`); concurrency 1 is the sequential profile.', table: sweep })
  return out
}

function runFiles(study: Study, outDir: string): string[] {
  return study.runs.map((r) => `${runLabel(r)}: ${relative(outDir, r.resultsFile)}`)
}

/** Any run of the study answered by the test double (src/base/simulated.ts). */
function simulated(study: Study): boolean {
  return study.runs.some((r) => isSimulatedRun(r.results))
}

export function renderStudyMarkdown(study: Study, outDir: string): string {
  const lines = [
    `# ${simulated(study) ? 'SIMULATED · ' : ''}Sequential vs parallel: ${md(engineLine(study))}`,
    '',
    ...(simulated(study) ? [`**${SIMULATED_NOTE}.**`, ''] : []),
    `\`${printable(study.command).replace(/`/g, "'")}\``,
    '',
    md(engineDetails(study)),
    '',
    `${study.startedAt} → ${study.finishedAt} · ${md(study.settings.subjects.join(', '))} · ${study.runs.length} runs`,
    '',
  ]
  for (const s of sections(study)) {
    lines.push(`## ${s.title}`, '')
    if (s.intro) lines.push(s.intro, '')
    if (s.table) lines.push(markdownTable(s.table), '')
  }
  lines.push('## Why', '')
  for (const p of study.explanation) lines.push(p, '')
  lines.push('## Runs', '', 'Each run\'s results JSON (every question with its start and latency) and its output log:', '')
  for (const f of runFiles(study, outDir)) lines.push(`- ${md(f)}`)
  lines.push('')
  return lines.join('\n')
}

/** `backticks` in the explanation become <code>; everything else is escaped. */
function prose(text: string): string {
  return esc(text).replace(/`([^`]+)`/g, '<code>$1</code>')
}

export async function renderStudyHtml(study: Study, outDir: string): Promise<string> {
  const svg = await chartRenderer()
  const charts = [
    figure('chart-timeline', 'Every question from its start to its end, per file (seconds from each run\'s first question): bars side by side overlap, bars end to end took turns', timelineChart(study, svg), true),
    figure('chart-concurrency', 'Throughput (bars, q/s) and mean latency (line, ms) against questions in flight · dashed: perfect scaling from concurrency 1', concurrencyChart(study, svg), true),
  ]
  const body = sections(study)
    .map((s) => `<h2>${prose(s.title)}</h2>${s.intro ? `<p>${prose(s.intro)}</p>` : ''}${s.table ? htmlTable(s.table) : ''}`)
    .join('\n')
  return pageShell(`${simulated(study) ? 'SIMULATED · ' : ''}Sequential vs parallel · ${esc(study.analysis.engine?.model ?? '')}`, `${STYLE}${STUDY_STYLE}`, `<header>
<h1>Sequential vs parallel <span class="model">${esc(engineLine(study))}</span></h1>
${simulated(study) ? `<p class="simulated">${esc(SIMULATED_NOTE)}.</p>\n` : ''}<p><code>${esc(study.command)}</code></p>
<p>${esc(engineDetails(study))}</p>
<p>${esc(study.startedAt)} → ${esc(study.finishedAt)} · ${esc(study.settings.subjects.join(', '))} · ${study.runs.length} runs</p>
</header>
<main>
<section id="explanation">
<h2>Why</h2>
${study.explanation.map((p) => `<p>${prose(p)}</p>`).join('\n')}
</section>
<section id="charts">
${charts.join('\n')}
</section>
<section id="tables">
${body}
<h2>Runs</h2>
<ul>${runFiles(study, outDir).map((f) => `<li><code>${esc(f)}</code></li>`).join('')}</ul>
</section>
</main>
<footer>Written by <code>npm run study</code> (src/study, reporters/render/study.ts).</footer>`)
}

/** Runs shown in the timeline: the first sequential, the first parallel, and the highest in-file concurrency. */
export function timelineRuns(study: Study): StudyRun[] {
  const first = (kind: StudyRun['kind']) => study.runs.find((r) => r.kind === kind)
  const concurrent = study.runs.filter((r) => r.kind === 'concurrent').sort((a, b) => b.concurrency - a.concurrency)[0]
  return [first('sequential'), first('files'), concurrent].filter((r): r is StudyRun => r !== undefined)
}

function timelineChart(study: Study, svg: Svg): string | undefined {
  const runs = timelineRuns(study)
  if (runs.length === 0) return undefined
  const subjects = subjectsOf(study)
  const color = (s: string) => SUBJECT_COLORS[Math.max(0, subjects.indexOf(s)) % SUBJECT_COLORS.length]!
  // Category axes draw bottom-up: reversed, so the first run's first subject is on top.
  const rows: string[] = []
  const data: { value: number[]; itemStyle: { color: string } }[] = []
  runs.forEach((run) => {
    const { bars, lanes } = timeline(run.results.records)
    for (const s of subjects) {
      const row = rows.push(`${runLabel(run)} · ${s}`) - 1
      for (const b of bars.filter((x) => x.subject === s)) {
        data.push({ value: [b.start, b.end, row, b.lane, lanes.get(s) ?? 1], itemStyle: { color: color(s) } })
      }
    }
  })
  const n = rows.length
  const flip = (row: number) => n - 1 - row
  for (const d of data) d.value[2] = flip(d.value[2]!)
  const option: EChartsOption = {
    // Server-side text widths are estimates: the left margin keeps the row names whole.
    grid: { left: 40, right: 24, top: 16, bottom: 30, containLabel: true },
    xAxis: { type: 'value', name: 's', min: 0, splitLine: { lineStyle: { color: '#eee' } } },
    yAxis: { type: 'category', data: [...rows].reverse(), axisTick: { show: false }, axisLabel: { fontSize: 12 } },
    series: [
      {
        type: 'custom',
        encode: { x: [0, 1], y: 2 },
        data,
        renderItem: (_params, api) => {
          const row = api.value(2) as number
          const lane = api.value(3) as number
          const lanes = api.value(4) as number
          const from = api.coord([api.value(0), row])
          const to = api.coord([api.value(1), row])
          const band = ((api.size?.([0, 1]) as number[] | undefined)?.[1] ?? 20) * 0.8
          const h = band / lanes
          const top = from[1]! - band / 2 + lane * h
          // At least half a pixel wide, so a fast question still shows; a hairline gap between bars shows where one ends.
          return { type: 'rect', shape: { x: from[0]!, y: top, width: Math.max(0.5, to[0]! - from[0]! - 0.4), height: Math.max(0.5, h - 0.4) }, style: { fill: api.visual('color') as string } }
        },
      },
    ],
  }
  return svg(option, CHART_WIDE, 60 + n * 34)
}

function concurrencyChart(study: Study, svg: Svg): string | undefined {
  const sweep = study.analysis.sweep
  const files = study.analysis.files
  if (sweep.length === 0 && !files) return undefined
  const levels = [...new Set([...sweep.map((p) => p.concurrency), ...(files ? [files.workersUsed] : [])])].sort((a, b) => a - b)
  const at = (c: number) => sweep.find((p) => p.concurrency === c)
  const one = at(1)
  const label = (x: number) => +x.toFixed(2)
  const series: EChartsOption['series'] = [
    { name: 'in-file concurrency', type: 'bar', barMaxWidth: 48, data: levels.map((c) => (at(c) ? label(at(c)!.throughput) : null)), itemStyle: { color: '#4e79a7' }, label: { show: true, position: 'top', fontSize: 11 } },
  ]
  if (files) {
    series.push({
      name: `files in parallel (${files.workersUsed} workers)`,
      type: 'bar',
      barMaxWidth: 48,
      // Where the two bar series do not share a category, drawn in the same place each bar stays centred.
      ...(at(files.workersUsed) ? {} : { barGap: '-100%' }),
      data: levels.map((c) => (c === files.workersUsed ? label(files.throughput) : null)),
      itemStyle: { color: '#f28e2b' },
      label: { show: true, position: 'top', fontSize: 11 },
    })
  }
  if (one) series.push({ name: 'perfect scaling', type: 'line', symbol: 'none', itemStyle: { color: '#888' }, lineStyle: { type: 'dashed', color: '#888' }, data: levels.map((c) => label(one.throughput * c)) })
  series.push({ name: 'mean latency (ms)', type: 'line', yAxisIndex: 1, symbolSize: 7, itemStyle: { color: '#c62828' }, data: levels.map((c) => (at(c) ? Math.round(at(c)!.latencyMs.mean) : null)), connectNulls: true })
  return svg(
    {
      legend: { top: 0, itemGap: 40 },
      grid: { left: 8, right: 8, top: 44, bottom: 36, containLabel: true },
      xAxis: { type: 'category', name: 'questions in flight', nameLocation: 'middle', nameGap: 26, data: levels.map(String) },
      yAxis: [
        { type: 'value', name: 'q/s', min: 0, splitLine: { lineStyle: { color: '#eee' } } },
        { type: 'value', name: 'ms', min: 0, splitLine: { show: false } },
      ],
      series,
    },
    CHART_WIDE,
    340,
  )
}

const STUDY_STYLE = `
header p { margin: 4px 0; color: var(--muted); }
#explanation p { max-width: 900px; }
#tables table { width: auto; margin-bottom: 8px; }
#tables th.l, #tables td.l { text-align: left; }
`
