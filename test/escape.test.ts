// Markup and terminal control from data (issue 25, item 7): question text,
// options, model names and server strings are shown as text in every Markdown
// output (compare.md, the step summary, the gate) and every terminal output
// (the run header, subject lines, progress, `npm run compare`, the gate),
// never obeyed. Hostile payloads, each with the text it must become, written here.
import { describe, expect, test } from 'vitest'
import type { EngineInfo } from '../src/backends/backend.js'
import type { RunComparison } from '../src/analysis/compare.js'
import { compareRuns } from '../src/analysis/compare.js'
import { analyzeRun } from '../src/analysis/run.js'
import type { Question } from '../src/dataset/question.js'
import type { GateVerdict } from '../src/gate/index.js'
import { md, printable } from '../reporters/render/escape.js'
import { renderCompareMarkdown, renderCompareTerminal } from '../reporters/render/compare.js'
import { renderGate } from '../reporters/render/gate.js'
import { renderMarkdownSummary } from '../reporters/render/markdown.js'
import { renderProgressLine, renderProgressWindow } from '../reporters/progress.js'
import { renderHeader, renderSubjectLine } from '../reporters/render/terminal.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { answerAll, fixedLetter, loadWithInputs, resultsOf } from './helpers/fixed-answers.js'
import { useLoopbackServer } from './helpers/loopback.js'
import { runVitest } from './helpers/run-vitest.js'

const ESC = '\u001b'
const BEL = '\u0007'
const CLEAR = `${ESC}[2J${ESC}[H`
const TITLE = `${ESC}]0;pwned${BEL}`
const BACKSPACE = 'right\b\b\b\b\bwrong'

const IFRAME = '<iframe src="http://evil.example/x"></iframe>'
const IMG = '<img src=http://evil.example/track.png>'
const DETAILS = '<details open><summary>x</summary>'
const REMOTE_IMAGE = '![x](http://evil.example/p.png)'
const LINK = '[click](javascript:alert(1))'
const MARKUP = `${IFRAME} ${IMG} ${DETAILS} ${REMOTE_IMAGE} ${LINK} **bold** _em_ \`code\` $x$ ~~gone~~ a|b`

/** Control characters that a terminal obeys: none may reach it. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/

describe('the two helpers', () => {
  test('printable: escape sequences, the window title, backspace and bidi overrides are shown, not obeyed', () => {
    expect(printable(CLEAR)).toBe('␛[2J␛[H')
    expect(printable(TITLE)).toBe('␛]0;pwned␇')
    expect(printable(BACKSPACE)).toBe('right␈␈␈␈␈wrong')
    expect(printable('a\nb\r\tc\u007f')).toBe('a␊b␍␉c␡')
    expect(printable('\u009b2J \u202egnp.exe')).toBe('<U+009B>2J <U+202E>gnp.exe')
    expect(printable('plain text, ünïcödé, 日本, emoji 🔻')).toBe('plain text, ünïcödé, 日本, emoji 🔻')
  })

  test('md: HTML, images, links, emphasis, code, math and cells become text', () => {
    expect(md(IFRAME)).toBe('&lt;iframe src="http://evil.example/x"&gt;&lt;/iframe&gt;')
    expect(md(IMG)).toBe('&lt;img src=http://evil.example/track.png&gt;')
    expect(md(DETAILS)).toBe('&lt;details open&gt;&lt;summary&gt;x&lt;/summary&gt;')
    expect(md(REMOTE_IMAGE)).toBe('![x\\](http://evil.example/p.png)')
    expect(md(LINK)).toBe('[click\\](javascript:alert(1))')
    expect(md('**bold** _em_ `code` $x$ ~~gone~~ a|b c\\d')).toBe('\\*\\*bold\\*\\* \\_em\\_ \\`code\\` \\$x\\$ \\~\\~gone\\~\\~ a\\|b c\\\\d')
    expect(md(`line one\nline two ${CLEAR}`)).toBe('line one line two ␛[2J␛[H')
    // What needs no escape stays as written: intraword underscores, an interval, ordinary text.
    expect(md('high_school_biology 25.0% [7.1, 59.1] Q&A')).toBe('high_school_biology 25.0% [7.1, 59.1] Q&amp;A')
  })
})

/** A results file of fixed-answer runs on the fixture astronomy questions, with a hostile model name. */
async function hostileRun(letter: 'A' | 'D', model: string) {
  const astronomy = await loadWithInputs(FIXTURE_DATA_DIR, 'astronomy')
  const records = answerAll(astronomy.test, fixedLetter(letter))
  return { results: { ...resultsOf(model, [astronomy], records, FIXTURE_DATA_DIR), analysis: analyzeRun(records) }, questions: astronomy.test }
}

/** Question texts as the data gives them, every one hostile. */
function hostileTexts(questions: readonly Question[]) {
  const hostile = questions.map((q) => ({ ...q, question: `${CLEAR}${TITLE}${BACKSPACE} ${MARKUP}`, choices: [IMG, REMOTE_IMAGE, `${DETAILS}${ESC}[31m`, IFRAME] }))
  return new Map([['astronomy', { questions: hostile, dir: FIXTURE_DATA_DIR }]])
}

/** No raw HTML of the payloads, no image or link syntax, in a Markdown text. */
function expectInert(markdown: string): void {
  for (const tag of ['<iframe', '<img', '<details open', '<summary>x']) expect(markdown).not.toContain(tag)
  expect(markdown).not.toMatch(/(?<!\\)\]\(/)
  expect(markdown).not.toMatch(CONTROL)
}

describe('every Markdown output', () => {
  test('compare.md: hostile question text, options and model names are shown as text', async () => {
    const a = await hostileRun('A', `fixed-A ${IMG}`)
    const d = await hostileRun('D', `fixed-D ${REMOTE_IMAGE}${TITLE}`)
    const c: RunComparison = compareRuns([
      { label: a.results.config.model, file: 'a.json', results: a.results },
      { label: d.results.config.model, file: `d${IFRAME}.json`, results: d.results },
    ])
    const out = renderCompareMarkdown(c, hostileTexts(a.questions))
    expectInert(out)
    expect(out).toContain('&lt;iframe src="http://evil.example/x"&gt;')
    expect(out).toContain('![x\\](http://evil.example/p.png)')
    expect(out).toContain('␛]0;pwned␇')
    // Our own markup still works: the details blocks and the bold total.
    expect(out).toContain('<details>')
    expect(out).toMatch(/^\| \*\*all\*\* \|/m)
  })

  test('the step summary and its gate section: a hostile model name and gate reasons are text', async () => {
    const a = await hostileRun('A', `${IFRAME}${DETAILS}`)
    const verdict: GateVerdict = { failed: true, reasons: [`threshold ${IMG}`] }
    const out = renderMarkdownSummary(a.results, verdict, { flipsShown: 10 })
    expectInert(out)
    expect(out).toContain('## MMLU · &lt;iframe src="http://evil.example/x"&gt;&lt;/iframe&gt;&lt;details open&gt;')
    expect(out).toContain('**Gate failed:** threshold &lt;img src=http://evil.example/track.png&gt;.')
  })
})

describe('every terminal output', () => {
  const engine = (model: string, reason: string, details: Record<string, string>): EngineInfo => ({ engine: 'openai', model, source: 'http://127.0.0.1:8000/v1', server: 'http://127.0.0.1:8000/v1', reason, details })

  test('the run header: a model name, a reason and server details with escape sequences or a line break are shown', async () => {
    const { results } = await hostileRun('A', 'm')
    const header = renderHeader(results.config, [engine(`llama${TITLE}\nMMLU  model forged`, `the server says ${CLEAR}`, { version: `0.1${BACKSPACE}` })])
    expect(header).not.toMatch(CONTROL)
    expect(header).toContain('MMLU  model llama␛]0;pwned␇␊MMLU  model forged · engine openai (version 0.1right␈␈␈␈␈wrong)')
    expect(header).toContain('the server says ␛[2J␛[H')
    expect(header.split('\n')).toHaveLength(3)
  })

  test('subject lines and progress: a subject named with escape sequences is shown', async () => {
    const { results } = await hostileRun('A', 'm')
    const subject = { ...results.subjects[0]!, subject: `astro${CLEAR}` }
    expect(renderSubjectLine(subject)).toMatch(/^✓ astro␛\[2J␛\[H {2}2\/8 correct/)
    const snapshot = { done: 3, total: 8, subjectsDone: 0, subjects: 1, rate: 1, etaMs: 5000, running: [{ subject: `astro${TITLE}`, done: 3, total: 8, rate: 1 }] }
    expect(renderProgressLine(snapshot)).not.toMatch(CONTROL)
    expect(renderProgressLine(snapshot)).toContain('astro␛]0;pwned␇ 3/8')
    for (const row of renderProgressWindow(snapshot)) expect(row).not.toMatch(CONTROL)
  })

  test('npm run compare: question text and model names with escape sequences are shown; the gate likewise', async () => {
    const a = await hostileRun('A', `fixed-A${CLEAR}`)
    const d = await hostileRun('D', `fixed-D${TITLE}`)
    const c = compareRuns([
      { label: a.results.config.model, file: 'a.json', results: a.results },
      { label: d.results.config.model, file: 'd.json', results: d.results },
    ])
    const out = renderCompareTerminal(c, hostileTexts(a.questions), 3)
    expect(out).not.toMatch(CONTROL)
    expect(out).toContain('Reference fixed-A␛[2J␛[H')
    expect(out).toContain('␛[2J␛[H␛]0;pwned␇right␈␈␈␈␈wrong')
    const gate = renderGate({ failed: true, reasons: [`astro${CLEAR} below threshold`] }, 5)
    expect(gate).toBe('Gate       ✗ failed: astro␛[2J␛[H below threshold')
  })
})

describe('a spawned run against a server that sends escape sequences', () => {
  const loop = useLoopbackServer({}, { answer: () => 'B', latencyMs: 0, slots: 1, fault: undefined, version: '0.12.11', letters: 'all' })

  test('its version string (in the header) and its error text (in the summary of errors) are shown, not obeyed', async () => {
    loop.server.config.version = `0.12.11${TITLE}`
    loop.server.config.fault = (r) => (r.prompt?.includes('Answer:') && r.n % 3 === 0 ? { status: 400, error: `bad${CLEAR}${BACKSPACE}` } : undefined)
    const run = await runVitest(['evals/astronomy'], { env: { OLLAMA_HOST: loop.server.url, OLLAMA_MODELS: loop.emptyStore, MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1' } })
    expect(run.results?.summary.errors, run.output).toBeGreaterThan(0)
    expect(run.output).toContain('0.12.11␛]0;pwned␇')
    expect(run.output).toContain('bad␛[2J␛[Hright␈␈␈␈␈wrong')
    expect(run.output).not.toMatch(CONTROL)
  })
})
