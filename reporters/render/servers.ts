// The per-server table of a run over several servers: pure text from
// src/servers-report.ts's summaries.
import type { ServerSummary } from '../../src/servers-report.js'
import { ms } from './terminal.js'

export function renderServers(servers: readonly ServerSummary[]): string {
  const rows = [['server', 'answered', 'errors', 'mean', 'p95'], ...servers.map((s) => [s.server, String(s.answered), String(s.errors), ms(s.latencyMs.mean), ms(s.latencyMs.p95)])]
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd())
  return ['Servers', ...lines.map((l) => `  ${l}`)].join('\n')
}
