// The summary page, `index.html` beside the results JSON: the run, the
// per-subject and per-category tables, four charts and links into Vitest's
// HTML report for each subject and question.
// Charts are drawn by echarts on the server (SVG strings), so the page is one
// static, self-contained file: no network, opens anywhere (file:// included).
// Past PAGED_ABOVE asks its question table is drawn a page at a time by a
// small inline script (question-pages.ts) instead of one row per ask.
// A page is rendered once per run with slots for what depends on where it is
// written (the history links, the results file's name): the same render
// serves reports/index.html and the run's copy in the history.
// One piece: what is left here (facts, the subject, category and question
// tables, the accuracy bars, the Vitest report links) is this page's alone;
// the frame is page.ts, the timing charts timing-charts.ts, trials and
// rotations variants.ts, calibration and bias analysis.ts.
import { mkdir } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import type { TestModule, Vitest } from 'vitest/node'
import { analysisOf } from '../../src/analysis/run.js'
import { writeFileAtomic } from '../../src/run/atomic-write.js'
import { categoryLabel } from '../../src/dataset/subjects.js'
import { rotationName } from '../../src/analysis/rotation.js'
import { recordKey, variantSuffix } from '../../src/base/record.js'
import type { QuestionRecord, ResultsFile } from '../../src/run/results.js'
import type { SubjectSummary } from '../../src/run/summary.js'
import { ANALYSIS_STYLE, analysisSection } from './analysis.js'
import type { Svg } from './page.js'
import { CHART_HALF, CHART_WIDE, chartRenderer, errorBars, esc, figure, OUTCOME_COLORS, pageShell, STYLE } from './page.js'
import { countsLabel, leftOutLabel, renderTime, shotsLabel, subjectNote } from './terminal.js'
import { ci, ms, pct, rate } from './format.js'
import { renderServersHtml } from './servers.js'
import { summarizeServers } from '../../src/run/servers-report.js'
import { shownPath } from '../../src/run/shown-path.js'
import { headlineOf, variantChartsHtml, variantFactsHtml, variantTablesHtml } from './variants.js'
import { latencyHistogram, throughputTimeline } from './timing-charts.js'
import { askNote, PAGED_ABOVE, pagedQuestionIndex, shownProbabilities } from './question-pages.js'
import { isSimulatedRun, SIMULATED_NOTE } from '../../src/base/simulated.js'

/** Where the Vitest HTML report is, and the ids its URLs use (`#/?file=<module id>&test=<test id>`). */
export interface ReportLinks {
  /** The report's index.html, relative to the summary page. */
  href: string
  /** subject → module id */
  files: Map<string, string>
  /** recordKey (`subject#index`, with `/t2/r1` for a trial and rotation) → test id */
  tests: Map<string, string>
}

/** What a page shows besides the results file. */
export interface PageExtras {
  /** `subject#index` → the start of the question's text (its test name), for the per-question table. */
  titles?: ReadonlyMap<string, string>
  /** Links to the run history: its index, and this run's own folder (both relative to the page). */
  history?: { index: string; run?: string }
}

/** `#12 How many planets…` (a question's test name) → the question's start, by `subject#index`. */
export function questionTitles(modules: readonly TestModule[]): Map<string, string> {
  const titles = new Map<string, string>()
  for (const m of modules) {
    for (const t of m.children.allTests()) {
      const r = t.meta().mmlu
      // Without the number and, for a trial or rotation, its label (`#12 (trial 2/5, rotation +1) `).
      if (r) titles.set(`${r.subject}#${r.index}`, t.name.replace(r.trial !== undefined || r.rotation !== undefined ? /^#\d+\s*\([^)]*\)\s*/ : /^#\d+\s*/, ''))
    }
  }
  return titles
}

const CATEGORY_COLORS: Record<string, string> = {
  stem: '#4e79a7',
  humanities: '#f28e2b',
  social_sciences: '#59a14f',
  other: '#b07aa1',
  unknown: '#9d9d9d',
}

/** The summary page sits next to the results JSON: `reports/mmlu-results.json` → `reports/index.html`. */
export function summaryPagePath(resultsFile: string): string {
  return join(dirname(resultsFile), 'index.html')
}

/**
 * The file the `html` reporter of this run writes, resolved as @vitest/ui's
 * reporter does: its own outputFile, else the config's `outputFile.html` (or
 * a plain string), else `html/index.html` under the root.
 */
export function vitestHtmlReportFile(ctx: Vitest): string | undefined {
  for (const entry of ctx.config.reporters) {
    const [name, options] = Array.isArray(entry) ? entry : [entry, {}]
    if (name !== 'html') continue
    const own = (options as { outputFile?: unknown }).outputFile
    const config = ctx.config.outputFile
    const file = typeof own === 'string' ? own : typeof config === 'string' ? config : (config?.html ?? 'html/index.html')
    return resolve(ctx.config.root, file)
  }
  return undefined
}

/** Ids of every subject file and question test, for links from the page beside `resultsFile` into the Vitest HTML report. */
export function reportLinks(modules: readonly TestModule[], reportFile: string, resultsFile: string): ReportLinks {
  const files = new Map<string, string>()
  const tests = new Map<string, string>()
  for (const m of modules) {
    for (const t of m.children.allTests()) {
      const r = t.meta().mmlu
      if (!r) continue
      files.set(r.subject, m.id)
      tests.set(recordKey(r), t.id)
    }
  }
  return { href: relative(dirname(resultsFile), reportFile).split(sep).join('/'), files, tests }
}

/**
 * Writes the page beside the results JSON, through a temp file so a reader
 * never sees half a page. Returns the terminal line that says where it is, or
 * why it is missing: the results JSON is already saved, so a failure here
 * costs the page, not the run. `rendered`: a render made once for several
 * folders (renderSummaryTemplate); without it the page is rendered here.
 */
export async function writeSummaryPage(resultsFile: string, results: ResultsFile, links: ReportLinks | undefined, extras: PageExtras = {}, rendered?: Promise<string>): Promise<string> {
  const file = summaryPagePath(resultsFile)
  try {
    const html = placeSummaryPage(await (rendered ?? renderSummaryTemplate(results, links, extras)), basename(resultsFile), extras.history)
    await mkdir(dirname(file), { recursive: true })
    await writeFileAtomic(file, html)
  } catch (e) {
    return `Summary    not written to ${file}: ${(e as Error).message}`
  }
  return `Summary    ${shownPath(file)}${links ? ` · with the Vitest HTML report: npm run report serves both` : ''}`
}

/** `resultsName`: the results JSON's file name, linked from the page (it sits in the same folder). */
export async function renderSummaryPage(results: ResultsFile, links?: ReportLinks, resultsName?: string, extras: PageExtras = {}): Promise<string> {
  return placeSummaryPage(await renderSummaryTemplate(results, links, extras), resultsName, extras.history)
}

// Where the parts that depend on the page's folder go. Everything else on the
// page is escaped (`<` is `&#60;`, in the question data `\u003c`), so a slot cannot occur in it.
const HISTORY_SLOT = '<!--mmlu:history-->'
const RESULTS_SLOT = '<!--mmlu:results-->'

/** Fills a rendered page's slots: the history links (relative to the page's folder) and the results file's name. */
export function placeSummaryPage(template: string, resultsName: string | undefined, history: PageExtras['history']): string {
  const h = template.indexOf(HISTORY_SLOT)
  const r = template.lastIndexOf(RESULTS_SLOT)
  if (h < 0 || r < h) throw new Error('the summary page has no slots for its links')
  const historyHtml = history ? `<dt>history</dt><dd><a href="${esc(history.index)}">all runs</a>${history.run ? ` · <a href="${esc(history.run)}">this run's copy</a>` : ''}</dd>` : ''
  const resultsHtml = resultsName ? ` · every record in <a href="${esc(encodeURIComponent(resultsName))}">${esc(resultsName)}</a>` : ''
  return `${template.slice(0, h)}${historyHtml}${template.slice(h + HISTORY_SLOT.length, r)}${resultsHtml}${template.slice(r + RESULTS_SLOT.length)}`
}

/** The page with its slots unfilled (placeSummaryPage fills them): one render for every folder it is written to. */
export async function renderSummaryTemplate(results: ResultsFile, links: ReportLinks | undefined, extras: Pick<PageExtras, 'titles'> = {}): Promise<string> {
  const svg = await chartRenderer()
  const subjects = [...results.subjects].sort((a, b) => a.subject.localeCompare(b.subject))
  const run = results.summary
  // The timing charts agree with the terminal: a run that timed nothing says so.
  const untimed = run.timed === 0 && run.cached > 0 ? 'All answers came from the answer cache: nothing timed (MMLU_CACHE=off to time).' : undefined
  const charts = [
    figure(
      'chart-subjects',
      `Accuracy per subject, with 95% Wilson intervals, colored by category · dotted: chance (25%) · dashed: micro average (${pct(run.microAccuracy)})`,
      accuracyBySubject(subjects, svg, run.microAccuracy),
      true,
    ),
    figure('chart-categories', 'Accuracy per category, with 95% Wilson intervals · dotted: chance', accuracyByCategory(results, svg), false),
    figure('chart-latency', untimed ? 'Latency per question' : `Latency per question · p50 ${ms(run.latencyMs.p50)}, p95 ${ms(run.latencyMs.p95)}`, latencyHistogram(results.records, svg), false, untimed),
    figure('chart-throughput', 'Questions per second over the run (answers completed per time bucket)', throughputTimeline(results.records, svg, run.questionsPerSecond), true, untimed),
    ...variantChartsHtml(results, subjects, svg),
  ]
  return pageShell(`${isSimulatedRun(results) ? 'SIMULATED · ' : ''}MMLU · ${esc(results.config.model)} · ${pct(run.microAccuracy)}`, `${STYLE}${ANALYSIS_STYLE}`, `<header>
<h1>MMLU <span class="model">${esc(results.config.model)}</span>${isSimulatedRun(results) ? ' <span class="simulated">SIMULATED</span>' : ''}</h1>
${isSimulatedRun(results) ? `<p class="simulated">${esc(SIMULATED_NOTE)}.</p>\n` : ''}${overview(results, links)}
</header>
<main>
<section id="accuracy">
<h2>Subjects</h2>
${subjectTable(subjects, links)}
<h2>Categories</h2>
${categoryTable(results)}
${variantTablesHtml(results, subjects)}
${renderServersHtml(summarizeServers(results.records), esc, results.serversGivenUp)}
</section>
<section id="charts">
${charts.join('\n')}
</section>
${analysisSection(analysisOf(results), svg)}
<section id="questions">
<h2>Questions</h2>
${questionIndex(subjects, results.records, links, extras.titles)}
</section>
</main>
<footer>Written ${esc(results.createdAt)} by the vitest-mmlu reporter · run status ${esc(results.status)}${RESULTS_SLOT}</footer>`)
}

function overview(results: ResultsFile, links: ReportLinks | undefined): string {
  const run = results.summary
  const c = results.config
  const engines = results.provenance
    .map((e) => `${esc(e.engine)} · ${esc(e.model)}${e.digest ? ` <code>${esc(e.digest.slice(0, 19))}</code>` : ''}`)
    .join('<br>')
  const ignored = countsLabel(run.cacheIgnored ?? {})
  const left = leftOutLabel(run.errors, run.notAsked)
  const micro: [string, string] = ['accuracy (micro)', `<b>${pct(run.microAccuracy)}</b> ${ci(run.microCi95)} · ${run.correct}/${run.questions}${run.population !== undefined ? ` asked, weighted to the full set's ${run.population}` : ''}${left ? ` · ${left}` : ''}`]
  const macro: [string, string] = ['accuracy (macro)', `${pct(run.macroAccuracy)}${run.macroCi95 ? ` ${ci(run.macroCi95)}` : ''} over ${run.subjects} subject${run.subjects === 1 ? '' : 's'}`]
  // A protocol whose published figures are macro averages shows the macro first.
  const facts: [string, string][] = [
    ...(headlineOf(c) === 'macro' ? [macro, micro] : [micro, macro]),
    [
      'answers',
      `${run.correct} correct · ${run.wrong} wrong · ${run.invalid} invalid · ${run.errors} errors` +
        (run.notAsked ? ` · ${run.notAsked} not asked` : '') +
        (run.cached ? ` · ${run.cached} from the answer cache` : '') +
        (ignored ? ` · cached answers ignored: ${esc(ignored)}` : ''),
    ],
    ['time', esc(renderTime(run).replace(/^Time\s+/, ''))],
    ['setup', `${esc(c.scoring)} scoring · ${esc(shotsLabel(c.shots, run.reducedShots ?? 0, c.inputs))} · concurrency ${c.concurrency} · ${c.vitest.workersUsed} worker${c.vitest.workersUsed === 1 ? '' : 's'}${c.limit ? ` · first ${c.limit} per subject` : ''}`],
    ...variantFactsHtml(results),
    ['engine', engines || esc(c.engine)],
    [
      'details',
      `<a href="#questions">every question</a> below, with its answer and probabilities · ` +
        (links
          ? `<a href="${esc(links.href)}">Vitest HTML report</a> (served by <code>npm run report</code>)`
          : 'the Vitest HTML report, optional: <code>--reporter=./reporters/mmlu-reporter.ts --reporter=html</code>'),
    ],
  ]
  const subjects = [
    run.notRunSubjects?.length ? `not run: ${run.notRunSubjects.map(esc).join(', ')}` : '',
    run.partialSubjects?.length ? `partial: ${run.partialSubjects.map(esc).join(', ')}` : '',
  ].filter(Boolean)
  if (subjects.length) facts.splice(3, 0, ['incomplete', subjects.join(' · ')])
  const notes = (run.notes ?? []).map((n) => `<p class="note">Note: ${esc(n)}</p>`).join('')
  return `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}${HISTORY_SLOT}</dl>${notes ? `<div id="notes">${notes}</div>` : ''}`
}

function subjectTable(subjects: readonly SubjectSummary[], links: ReportLinks | undefined): string {
  const head = ['subject', 'category', 'correct', 'accuracy', '95% CI', 'wrong', 'invalid', 'errors', 'wall', 'mean', 'p50', 'p95', 'q/s', 'note']
  const rows = subjects.map((s) => {
    const file = links?.files.get(s.subject)
    const name = file ? `<a href="${esc(links!.href)}#/?file=${encodeURIComponent(file)}">${esc(s.subject)}</a>` : esc(s.subject)
    const cells = [
      `<td class="subject">${name}</td>`,
      `<td><span class="dot" style="background:${categoryColor(s.category)}"></span>${esc(categoryLabel(s.category))}</td>`,
      `<td class="correct">${s.correct}/${s.total}</td>`,
      `<td class="accuracy">${pct(s.accuracy)}</td>`,
      `<td class="ci">${s.total ? ci(s.ci95) : '–'}</td>`,
      `<td>${s.wrong}</td>`,
      `<td>${s.invalid}</td>`,
      `<td>${s.errors}</td>`,
      // Nothing timed (every answer cached): blank, not zeros.
      ...(s.timed === 0 ? ['', '', '', '', ''] : [ms(s.wallMs), ms(s.latencyMs.mean), ms(s.latencyMs.p50), ms(s.latencyMs.p95), rate(s.questionsPerSecond)]).map((x) => `<td>${x}</td>`),
      `<td class="note"${s.status ? ` data-status="${s.status}"` : ''}>${esc(s.status ? subjectNote(s) : '')}</td>`,
    ]
    return `<tr data-subject="${esc(s.subject)}">${cells.join('')}</tr>`
  })
  return `<table id="subjects"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`
}

function categoryTable(results: ResultsFile): string {
  const rows = results.summary.categories.map(
    (c) =>
      `<tr data-category="${c.category}"><td><span class="dot" style="background:${categoryColor(c.category)}"></span>${esc(categoryLabel(c.category))}</td><td class="correct">${c.correct}/${c.total}</td><td class="accuracy">${pct(c.accuracy)}</td><td class="ci">${c.total ? ci(c.ci95) : '–'}</td></tr>`,
  )
  return `<table id="categories"><thead><tr><th>category</th><th>correct</th><th>accuracy</th><th>95% CI</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`
}

function questionIndex(subjects: readonly SubjectSummary[], records: readonly QuestionRecord[], links: ReportLinks | undefined, titles: ReadonlyMap<string, string> | undefined): string {
  if (records.length > PAGED_ABOVE) return pagedQuestionIndex(subjects, records, links, titles)
  const bySubject = new Map<string, QuestionRecord[]>()
  for (const r of records) {
    const list = bySubject.get(r.subject)
    if (list) list.push(r)
    else bySubject.set(r.subject, [r])
  }
  const legend = Object.entries(OUTCOME_COLORS)
    .map(([k, color]) => `<span class="q" style="background:${color}">${k}</span>`)
    .join(' ')
  const blocks = subjects.map((s) => {
    const rs = [...(bySubject.get(s.subject) ?? [])].sort((a, b) => a.index - b.index || (a.trial ?? 0) - (b.trial ?? 0) || (a.rotation ?? 0) - (b.rotation ?? 0))
    const chips = rs.map((r) => {
      // A trial and rotation are part of the chip: `12/t2/r1`.
      const which = variantSuffix(r)
      const variant = `${r.trial !== undefined ? `, trial ${r.trial}` : ''}${r.rotation !== undefined ? `, options ${rotationName(r.rotation)}` : ''}`
      const title = `#${r.index}${variant} expected ${r.expected}, given ${r.given ?? 'none'}${r.outcome === 'error' ? ' (error)' : ''}`
      const test = links?.tests.get(recordKey(r))
      const file = links?.files.get(r.subject)
      return test && file
        ? `<a class="q ${r.outcome}" href="${esc(links!.href)}#/?file=${encodeURIComponent(file)}&amp;test=${encodeURIComponent(test)}" title="${title}">${r.index}${which}</a>`
        : `<a class="q ${r.outcome}" href="#${questionAnchor(r)}" title="${title}">${r.index}${which}</a>`
    })
    const open = s.wrong + s.invalid + s.errors
    const notAsked = s.notAsked ? `; ${s.notAsked} not asked` : ''
    return `<details data-subject="${esc(s.subject)}"><summary>${esc(s.subject)} · ${s.correct} correct, ${open} not (${s.wrong} wrong, ${s.invalid} invalid, ${s.errors} errors${notAsked})</summary><div class="chips">${chips.join('')}</div>${questionTable(s.subject, rs, titles)}</details>`
  })
  const how = links ? 'Each number opens the question in the Vitest HTML report; the table under it has every answer.' : 'Each number leads to its row in the table under it.'
  return `<p>${how} ${legend}</p>\n${blocks.join('\n')}`
}

/** The id of an ask's row in the question table: `q-astronomy-12`, `q-astronomy-12-t2-r1` for a trial and rotation. */
function questionAnchor(r: QuestionRecord): string {
  return esc(`q-${r.subject}-${r.index}${variantSuffix(r).replace(/\//g, '-')}`)
}

/** Every question of a subject: key, answer, outcome, the letters' probabilities, and why an answer has no letter. */
function questionTable(subject: string, records: readonly QuestionRecord[], titles: ReadonlyMap<string, string> | undefined): string {
  const letters = [...new Set(records.flatMap((r) => (r.probabilities ? Object.keys(r.probabilities) : [])))].sort()
  const head = ['#', ...(titles ? ['question'] : []), 'key', 'given', 'outcome', ...letters.map((l) => `p(${l})`), 'shots', 'latency', 'note']
  const rows = records.map((r) => {
    // The row's own letters shown apart (3.12e-5, not 0.000), as in the Vitest UI.
    const text = shownProbabilities(r, letters)
    const note = askNote(r)
    const cells = [
      `<td>${r.index}${variantSuffix(r)}</td>`,
      ...(titles ? [`<td class="text">${esc(titles.get(`${r.subject}#${r.index}`) ?? '')}</td>`] : []),
      `<td>${r.expected}</td>`,
      `<td>${r.given ?? '–'}</td>`,
      `<td class="${r.outcome}">${r.outcome}${r.cached ? ' (cached)' : ''}</td>`,
      ...letters.map((l) => `<td${l === r.given ? ' class="chosen"' : ''}>${text.get(l) ?? '–'}</td>`),
      `<td>${r.shots}</td>`,
      `<td>${r.cached ? '–' : ms(r.latencyMs)}</td>`,
      `<td class="text">${esc(note)}</td>`,
    ]
    return `<tr id="${questionAnchor(r)}">${cells.join('')}</tr>`
  })
  return `<table class="questions"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`
}

interface AccuracyBar {
  name: string
  accuracy: number
  low: number
  high: number
  color: string
}

interface ReferenceLine {
  value: number
  /** The caption names each line by its style; labels on the chart collide when values are close. */
  style: 'dotted' | 'dashed'
}

function accuracyBars(bars: readonly AccuracyBar[], svg: Svg, width: number, rowHeight: number, reference: ReferenceLine[]): string {
  const height = 70 + bars.length * rowHeight
  const percent = (x: number) => Math.round(x * 1000) / 10
  return svg(
    {
      // Server-side text widths are estimates: the left margin keeps long subject names whole.
      grid: { left: 30, right: 30, top: 12, bottom: 30, containLabel: true },
      xAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' }, splitLine: { lineStyle: { color: '#eee' } } },
      yAxis: { type: 'category', data: bars.map((b) => b.name), axisTick: { show: false }, axisLabel: { fontSize: 12 } },
      series: [
        {
          type: 'bar',
          barWidth: '62%',
          barMaxWidth: 26,
          data: bars.map((b) => ({ value: percent(b.accuracy), itemStyle: { color: b.color } })),
          label: { show: true, position: 'insideLeft', formatter: ({ value }) => `${(value as number).toFixed(1)}%`, color: '#fff', fontSize: 11 },
          markLine: {
            symbol: 'none',
            silent: true,
            label: { show: false },
            data: reference.map((r) => ({ xAxis: percent(r.value), lineStyle: { type: r.style, color: r.style === 'dotted' ? '#888' : '#222', width: 1.5 } })),
          },
        },
        { type: 'custom', renderItem: errorBars, encode: { x: [1, 2], y: 0 }, data: bars.map((b, i) => [i, percent(b.low), percent(b.high)]), z: 10 },
      ],
    },
    width,
    height,
  )
}

function accuracyBySubject(subjects: readonly SubjectSummary[], svg: Svg, micro: number): string | undefined {
  const asked = subjects.filter((s) => s.total > 0)
  if (asked.length === 0) return undefined
  // Category axes draw bottom-up: ascending order puts the best subject on top.
  const sorted = [...asked].sort((a, b) => a.accuracy - b.accuracy || b.subject.localeCompare(a.subject))
  const bars = sorted.map((s) => ({ name: s.subject, accuracy: s.accuracy, low: s.ci95.low, high: s.ci95.high, color: categoryColor(s.category) }))
  return accuracyBars(bars, svg, CHART_WIDE, 22, [
    { value: 0.25, style: 'dotted' },
    { value: micro, style: 'dashed' },
  ])
}

function accuracyByCategory(results: ResultsFile, svg: Svg): string | undefined {
  const cats = results.summary.categories.filter((c) => c.total > 0)
  if (cats.length === 0) return undefined
  const bars = [...cats].reverse().map((c) => ({ name: categoryLabel(c.category), accuracy: c.accuracy, low: c.ci95.low, high: c.ci95.high, color: categoryColor(c.category) }))
  // A row a bar's height with room around it: one or two categories make a short chart, not a tall empty one.
  return accuracyBars(bars, svg, CHART_HALF, 44, [{ value: 0.25, style: 'dotted' }])
}

/** MMLU's categories keep their colours; a topic's own category gets one of its own. */
function categoryColor(c: string): string {
  return CATEGORY_COLORS[c] ?? '#76b7b2'
}
