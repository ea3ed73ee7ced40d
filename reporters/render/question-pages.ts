// The summary page's question table past PAGED_ABOVE asks: one row per ask
// inline costs ~400 bytes each (58 MB for 140k asks, a page a browser
// struggles to open), so the rows are embedded once as compact JSON in a
// <script type="application/json"> and drawn a page at a time by a small
// inline script, with a subject and an outcome filter. Inline, not a file
// beside the page: a page opened from disk (file://) may not fetch one.
// Below the threshold the page keeps one row per ask (html.ts).
import { formatProbabilities, recordKey, variantSuffix } from '../../src/base/record.js'
import type { QuestionRecord } from '../../src/run/results.js'
import type { SubjectSummary } from '../../src/run/summary.js'
import { esc, OUTCOME_COLORS } from './page.js'
import { ms } from './format.js'

/** html.ts's ReportLinks, as far as the table reads them (named here: html.ts imports this module). */
interface ReportLinks {
  href: string
  files: ReadonlyMap<string, string>
  tests: ReadonlyMap<string, string>
}

/** Asks above which the question table is paged. */
export const PAGED_ABOVE = 10_000
/** Rows drawn at a time. */
export const ROWS_PER_PAGE = 100

/** Why an ask has no letter, or its error: the table's note column. */
export function askNote(r: QuestionRecord): string {
  return r.outcome === 'error' || r.outcome === 'not-asked' ? (r.error ?? '') : r.outcome === 'invalid' ? (r.invalidReason ?? `no letter in ${JSON.stringify(r.text.slice(0, 60))}`) : ''
}

/** The ask's probabilities of `letters` as the table shows them (3.12e-5, not 0.000); a letter it has none for is absent. */
export function shownProbabilities(r: QuestionRecord, letters: readonly string[]): Map<string, string> {
  const probs = r.probabilities as Record<string, number> | undefined
  const present = letters.filter((l) => probs && Number.isFinite(probs[l]))
  const formatted = formatProbabilities(present.map((l) => probs![l]!))
  return new Map(present.map((l, i) => [l, formatted[i]!]))
}

/**
 * One ask as the script reads it: [subject (its position in `subjects`), index, variant suffix,
 * key, given ('' for none), outcome, cached (1/0), the letters' probabilities ('' for none),
 * shots, latency, note, Vitest test id ('' for none)].
 */
type Row = [number, number, string, string, string, string, 0 | 1, string[], number, string, string, string]

interface QuestionData {
  subjects: string[]
  letters: string[]
  /** `subjectPosition#index` → the question's start; absent without titles. */
  titles?: Record<string, string>
  /** The Vitest HTML report (relative to the page) and each subject's module id, when the run wrote one. */
  report?: { href: string; files: string[] }
  rows: Row[]
}

/** JSON that cannot end its <script> element or open a comment: every `<` escaped. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c')
}

export function pagedQuestionIndex(subjects: readonly SubjectSummary[], records: readonly QuestionRecord[], links: ReportLinks | undefined, titles: ReadonlyMap<string, string> | undefined): string {
  const names = subjects.map((s) => s.subject)
  const position = new Map(names.map((n, i) => [n, i]))
  const letters = [...new Set(records.flatMap((r) => (r.probabilities ? Object.keys(r.probabilities) : [])))].sort()
  const sorted = records
    .filter((r) => position.has(r.subject))
    .sort((a, b) => position.get(a.subject)! - position.get(b.subject)! || a.index - b.index || (a.trial ?? 0) - (b.trial ?? 0) || (a.rotation ?? 0) - (b.rotation ?? 0))
  const shownTitles: Record<string, string> = {}
  const rows = sorted.map((r): Row => {
    const s = position.get(r.subject)!
    const title = titles?.get(`${r.subject}#${r.index}`)
    if (title !== undefined) shownTitles[`${s}#${r.index}`] = title
    const probs = shownProbabilities(r, letters)
    return [s, r.index, variantSuffix(r), r.expected, r.given ?? '', r.outcome, r.cached ? 1 : 0, letters.map((l) => probs.get(l) ?? ''), r.shots, r.cached ? '–' : ms(r.latencyMs), askNote(r), links?.tests.get(recordKey(r)) ?? '']
  })
  const data: QuestionData = {
    subjects: names,
    letters,
    ...(titles ? { titles: shownTitles } : {}),
    ...(links ? { report: { href: links.href, files: names.map((n) => links.files.get(n) ?? '') } } : {}),
    rows,
  }
  const legend = Object.entries(OUTCOME_COLORS)
    .map(([k, color]) => `<span class="q" style="background:${color}">${k}</span>`)
    .join(' ')
  const subjectOptions = subjects.map((s, i) => `<option value="${i}">${esc(s.subject)} · ${s.correct} correct, ${s.wrong + s.invalid + s.errors} not</option>`).join('')
  const outcomeOptions = Object.keys(OUTCOME_COLORS)
    .map((k) => `<option value="${k}">${k}</option>`)
    .join('')
  const head = ['#', 'subject', ...(titles ? ['question'] : []), 'key', 'given', 'outcome', ...letters.map((l) => `p(${l})`), 'shots', 'latency', 'note']
  const how = links ? 'Each number opens the question in the Vitest HTML report.' : `Every answer, ${ROWS_PER_PAGE} at a time; the results JSON has them all.`
  return `<p>${records.length.toLocaleString('en-US')} answers: ${how} ${legend}</p>
<div id="question-pager" class="pager"><label>subject <select id="q-subject"><option value="">all</option>${subjectOptions}</select></label> <label>outcome <select id="q-outcome"><option value="">all</option>${outcomeOptions}</select></label> <button type="button" id="q-prev">previous</button> <span id="q-range"></span> <button type="button" id="q-next">next</button></div>
<noscript><p>The question table is drawn by the page's script, which is off: every answer is in the results JSON.</p></noscript>
<table class="questions" id="question-pages"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody></tbody></table>
<script type="application/json" id="question-data">${scriptJson(data)}</script>
<script>${PAGER_SCRIPT}</script>`
}

// Plain ES2017 for any browser; cells are set as text, never parsed as HTML.
const PAGER_SCRIPT = `(() => {
const data = JSON.parse(document.getElementById('question-data').textContent);
const per = ${ROWS_PER_PAGE};
let body = document.querySelector('#question-pages tbody');
const subject = document.getElementById('q-subject'), outcome = document.getElementById('q-outcome');
const prev = document.getElementById('q-prev'), next = document.getElementById('q-next'), range = document.getElementById('q-range');
let shown = data.rows, page = 0;
const cell = (tr, text, cls) => { const td = tr.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; };
function draw() {
  const pages = Math.max(1, Math.ceil(shown.length / per));
  page = Math.min(Math.max(page, 0), pages - 1);
  const from = page * per, to = Math.min(from + per, shown.length);
  const out = document.createElement('tbody');
  for (let i = from; i < to; i++) {
    const [s, index, suffix, key, given, result, cached, probs, shots, latency, note, test] = shown[i];
    const tr = out.insertRow();
    tr.id = ('q-' + data.subjects[s] + '-' + index + suffix.replace(/\\//g, '-'));
    const first = cell(tr, '');
    const file = data.report && data.report.files[s];
    if (test && file) { const a = document.createElement('a'); a.href = data.report.href + '#/?file=' + encodeURIComponent(file) + '&test=' + encodeURIComponent(test); a.textContent = index + suffix; first.append(a); }
    else first.textContent = index + suffix;
    cell(tr, data.subjects[s]);
    if (data.titles) cell(tr, data.titles[s + '#' + index] || '', 'text');
    cell(tr, key);
    cell(tr, given || '–');
    cell(tr, result + (cached ? ' (cached)' : ''), result);
    data.letters.forEach((l, j) => cell(tr, probs[j] || '–', l === given ? 'chosen' : ''));
    cell(tr, String(shots));
    cell(tr, latency);
    cell(tr, note, 'text');
  }
  body.replaceWith(out);
  body = out;
  range.textContent = shown.length ? (from + 1) + '–' + to + ' of ' + shown.length : 'none of ' + data.rows.length;
  prev.disabled = page === 0;
  next.disabled = page >= pages - 1;
}
function filter() {
  const s = subject.value === '' ? -1 : Number(subject.value), o = outcome.value;
  shown = s < 0 && !o ? data.rows : data.rows.filter((r) => (s < 0 || r[0] === s) && (!o || r[5] === o));
  page = 0;
  draw();
}
subject.addEventListener('change', filter);
outcome.addEventListener('change', filter);
prev.addEventListener('click', () => { page--; draw(); });
next.addEventListener('click', () => { page++; draw(); });
draw();
})();`
