// The run history's index page (reports/runs/index.html): every kept run,
// newest first, with its headline figures and links to its page and JSON, and
// the command that compares any two of them. Pure: headlines in, HTML out.
// It works from file://: the table and the commands are static; a few lines
// of script only fill in the command for two runs ticked by hand.
import type { RunHeadline } from '../../src/run/kept-runs.js'
import { RUN_RESULTS_FILE } from '../../src/run/kept-runs.js'
import { esc, pageShell, STYLE } from './page.js'
import { ci, pct, rate } from './format.js'

/** `npm run compare -- <older> <newer>`, with the runs folder as the user would type it. */
export function compareCommand(runsPath: string, older: string, newer: string): string {
  return `npm run compare -- ${runsPath}/${older} ${runsPath}/${newer}`
}

/** The newest older run of the same inputs, for each run: the comparison offered in its row. */
export function previousOfSameInputs(runs: readonly RunHeadline[]): Map<string, RunHeadline> {
  const out = new Map<string, RunHeadline>()
  // Newest first: a run's previous is the first later entry with its key.
  runs.forEach((r, i) => {
    const prev = runs.slice(i + 1).find((o) => o.inputsKey === r.inputsKey)
    if (prev) out.set(r.id, prev)
  })
  return out
}

/** What a run asked, in one line: the runs index, `npm run runs` and `npm run compare` show it alike. */
export function runProtocol(r: Pick<RunHeadline, 'scoring' | 'shots' | 'limit' | 'engine' | 'simulated'>): string {
  return `${r.simulated ? 'SIMULATED · ' : ''}${r.engine} · ${r.scoring} · ${r.shots}-shot${r.limit ? ` · first ${r.limit} per subject` : ''}`
}

/** A strong letter bias: among the wrong answers since issue 21; runs kept before it hold the letters given against the keys. */
function biasCell(b: NonNullable<RunHeadline['bias']>): string {
  const pc = (x: number | undefined) => `${Math.round((x ?? NaN) * 100)}%`
  return b.wrongShare !== undefined ? `wrong answers ${b.letter} ${pc(b.wrongShare)} (${pc(b.expectedShare)} expected)` : `gives ${b.letter} ${pc(b.givenShare)} (key ${pc(b.keyShare)})`
}

const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC')

/**
 * `runsPath`: the runs folder as a path from where `npm run compare` is run
 * (e.g. `reports/runs`), for the commands shown.
 */
export function renderRunsIndex(runs: readonly RunHeadline[], runsPath: string): string {
  const previous = previousOfSameInputs(runs)
  const groups = new Map<string, number>()
  for (const r of runs) if (!groups.has(r.inputsKey)) groups.set(r.inputsKey, groups.size + 1)
  const head = ['', 'date', 'model', 'protocol', 'inputs', 'questions', 'accuracy', '95% CI', 'macro', 'invalid · errors', 'q/s', 'ECE', 'letter bias', 'status', 'open', 'compare with the previous run of the same inputs']
  const rows = runs.map((r) => {
    const prev = previous.get(r.id)
    const cells = [
      `<td><input type="checkbox" name="pick" value="${esc(`${runsPath}/${r.id}`)}" data-inputs="${esc(r.inputsKey)}" aria-label="pick ${esc(r.id)}"></td>`,
      `<td>${esc(when(r.createdAt))}</td>`,
      `<td class="model">${esc(r.model)}${r.digest ? ` <code>${esc(r.digest.replace(/^sha256:/, '').slice(0, 12))}</code>` : ''}</td>`,
      `<td${r.simulated ? ' class="simulated" title="answered by npm run server:simulated, no model"' : ''}>${esc(runProtocol(r))}</td>`,
      `<td title="${esc(r.inputsKey)}">#${groups.get(r.inputsKey)}</td>`,
      `<td>${r.questions} (${r.subjects} subject${r.subjects === 1 ? '' : 's'})</td>`,
      `<td class="accuracy"><b>${pct(r.accuracy)}</b></td>`,
      `<td>${r.questions ? ci(r.ci95) : '–'}</td>`,
      `<td>${pct(r.macroAccuracy)}</td>`,
      `<td>${r.invalid} · ${r.errors}</td>`,
      `<td>${rate(r.questionsPerSecond ?? NaN)}</td>`,
      `<td>${r.ece === undefined ? '–' : pct(r.ece)}</td>`,
      `<td>${r.bias ? esc(biasCell(r.bias)) : '–'}</td>`,
      `<td>${esc(r.status)}</td>`,
      `<td>${r.page === false ? 'no page' : `<a href="${esc(encodeURIComponent(r.id))}/index.html">page</a>`} · <a href="${esc(encodeURIComponent(r.id))}/${RUN_RESULTS_FILE}">JSON</a></td>`,
      `<td class="command">${prev ? `<code>${esc(compareCommand(runsPath, prev.id, r.id))}</code>` : '–'}</td>`,
    ]
    return `<tr id="${esc(r.id)}">${cells.join('')}</tr>`
  })
  const table = runs.length
    ? `<table id="runs"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`
    : '<p class="empty">No runs kept yet: every run that answers questions is kept here.</p>'
  return pageShell(`MMLU runs · ${runs.length}`, `${STYLE}${INDEX_STYLE}`, `<header>
<h1>MMLU runs <span class="model">${runs.length} kept, newest first</span></h1>
<p>Every run that answered questions, as it was written: its summary page and results JSON. <a href="../index.html">The latest run</a>. <a href="../leaderboard.html">The leaderboard</a>: these runs ranked, ties with the best said (<code>npm run leaderboard</code> writes it).</p>
</header>
<main>
${table}
<section id="compare">
<h2>Compare two runs</h2>
<p>Runs with the same <b>inputs</b> number asked the same questions with the same prompts (subjects, shots, prompt template, few-shot examples and data); <code>npm run compare</code> pairs them question by question (exact McNemar tests, flipped questions with their text) and writes <code>reports/compare.md</code> and <code>reports/compare.html</code>. Runs of different prompts or data are refused with the reason; different shots are compared with a warning.</p>
<p>Tick two runs: <code id="pick-command">${esc(`npm run compare -- ${runsPath}/<older run> ${runsPath}/<newer run>`)}</code></p>
<p id="pick-note" class="note"></p>
<p>Keep only the newest N runs: <code>npm run runs -- --keep N</code> (or <code>MMLU_KEEP_RUNS=N</code> on every run).</p>
</section>
</main>
<script>
// Fills in the compare command for the two ticked runs (older first); the page works without it.
const boxes = [...document.querySelectorAll('input[name=pick]')]
const command = document.getElementById('pick-command')
const note = document.getElementById('pick-note')
const initial = command.textContent
for (const box of boxes) box.addEventListener('change', () => {
  const on = boxes.filter((b) => b.checked)
  if (on.length > 2) { box.checked = false; return }
  command.textContent = on.length === 2 ? 'npm run compare -- ' + on[1].value + ' ' + on[0].value : initial
  note.textContent = on.length === 2 && on[0].dataset.inputs !== on[1].dataset.inputs ? 'These two runs have different inputs: compare refuses different prompts or data, and warns on different shots.' : ''
})
</script>`)
}

const INDEX_STYLE = `
body { max-width: none; }
#runs td.model { text-align: left; }
#runs td.command { text-align: left; }
#runs td.command code { white-space: nowrap; }
#runs tr:target { background: #fff6d5; }
.note { color: #b45309; }
`
