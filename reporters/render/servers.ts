// The per-server table of a run over several servers, for the terminal, the
// Markdown summary and the page: pure text from src/run/servers-report.ts's summaries.
import type { GivenUpSummary, ServerSummary } from '../../src/run/servers-report.js'
import { ms } from './format.js'
import { maxOf } from '../../src/base/extent.js'
import { md, mdRow, printableLines } from './escape.js'

const HEAD = ['server', 'answered', 'errors', 'mean', 'p95']
const cells = (s: ServerSummary) => [s.server, String(s.answered), String(s.errors), ms(s.latencyMs.mean), ms(s.latencyMs.p95)]

/** GitHub-flavoured Markdown lines (none for a run on one server). */
export function renderServersMarkdown(servers: readonly ServerSummary[], givenUp: readonly GivenUpSummary[] = []): string[] {
  if (servers.length < 2) return []
  const row = (c: readonly string[]) => mdRow(c.map(md))
  const gone = givenUp.flatMap((g) => [`> **Given up:** ${md(givenUpLine(g))}`, ''])
  return ['**Servers**', '', row(HEAD), '|---|---:|---:|---:|---:|', ...servers.map((s) => row(cells(s))), '', ...gone]
}

/** An HTML table (empty for a run on one server); `esc` escapes text for the page. */
export function renderServersHtml(servers: readonly ServerSummary[], esc: (s: string) => string, givenUp: readonly GivenUpSummary[] = []): string {
  if (servers.length < 2) return ''
  const rows = servers.map((s) => `<tr data-server="${esc(s.server)}">${cells(s).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
  const gone = givenUp.map((g) => `\n<p class="given-up">${esc(givenUpLine(g))}</p>`).join('')
  return `<h2>Servers</h2>\n<table id="servers"><thead><tr>${HEAD.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>${gone}`
}

export function renderServers(servers: readonly ServerSummary[], givenUp: readonly GivenUpSummary[] = []): string {
  const rows = [HEAD, ...servers.map(cells)]
  const widths = rows[0]!.map((_, c) => maxOf(rows.map((r) => r[c]!.length)))
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd())
  return printableLines(['Servers', ...lines.map((l) => `  ${l}`), ...givenUp.map((g) => `  ${givenUpLine(g)}`)].join('\n'))
}

/** `server http://b given up at 41 s after 8.0 s of failures; the 40 questions after that went to http://a` */
export function givenUpLine(g: GivenUpSummary): string {
  const moved = Object.entries(g.after).filter(([where]) => where !== 'not asked')
  const notAsked = g.after['not asked'] ?? 0
  const n = moved.reduce((t, [, k]) => t + k, 0)
  const where = moved.length === 1 ? moved[0]![0] : moved.map(([s, k]) => `${s} (${k})`).join(', ')
  const parts = [`server ${g.server} given up at ${(g.atMs / 1000).toFixed(0)} s after ${(g.failingMs / 1000).toFixed(1)} s of failures`]
  if (n) parts.push(`the ${n} question${n === 1 ? '' : 's'} started after that went to ${where}`)
  if (notAsked) parts.push(`${notAsked} ${notAsked === 1 ? 'was' : 'were'} not asked`)
  if (!n && !notAsked) parts.push('no question was left for it')
  return parts.join('; ')
}
