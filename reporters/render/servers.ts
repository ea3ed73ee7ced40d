// The per-server table of a run over several servers, for the terminal, the
// Markdown summary and the page: pure text from src/servers-report.ts's summaries.
import type { ServerSummary } from '../../src/servers-report.js'
import { ms } from './terminal.js'
import { md, mdRow, printableLines } from './escape.js'

const HEAD = ['server', 'answered', 'errors', 'mean', 'p95']
const cells = (s: ServerSummary) => [s.server, String(s.answered), String(s.errors), ms(s.latencyMs.mean), ms(s.latencyMs.p95)]

/** GitHub-flavoured Markdown lines (none for a run on one server). */
export function renderServersMarkdown(servers: readonly ServerSummary[]): string[] {
  if (servers.length < 2) return []
  const row = (c: readonly string[]) => mdRow(c.map(md))
  return ['**Servers**', '', row(HEAD), '|---|---:|---:|---:|---:|', ...servers.map((s) => row(cells(s))), '']
}

/** An HTML table (empty for a run on one server); `esc` escapes text for the page. */
export function renderServersHtml(servers: readonly ServerSummary[], esc: (s: string) => string): string {
  if (servers.length < 2) return ''
  const rows = servers.map((s) => `<tr data-server="${esc(s.server)}">${cells(s).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
  return `<h2>Servers</h2>\n<table id="servers"><thead><tr>${HEAD.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`
}

export function renderServers(servers: readonly ServerSummary[]): string {
  const rows = [HEAD, ...servers.map(cells)]
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd())
  return printableLines(['Servers', ...lines.map((l) => `  ${l}`)].join('\n'))
}
