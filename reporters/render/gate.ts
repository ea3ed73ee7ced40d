// Terminal rendering of the gate's verdict: pure functions from the verdict to text.
import type { BaselineComparison, BaselineRefusal, FlippedQuestion, GateVerdict, PairedComparison, ThresholdCheck, ThresholdReport } from '../../src/gate/index.js'
import { checkLabel, formatP } from '../../src/gate/index.js'
import { variantSuffix } from '../../src/base/record.js'
import { leftOutLabel } from './terminal.js'
import { ci, pct } from './format.js'
import { maxOf } from '../../src/base/extent.js'
import { printableLines } from './escape.js'

const INDENT = '           '

/** `astronomy #12 A→C` (`#12/t2/r1` for a trial and rotation): the question, then the baseline's letter and this run's (– for none). */
export function formatFlip(f: FlippedQuestion): string {
  return `${f.subject} #${f.index}${variantSuffix(f)} ${f.before ?? '–'}→${f.after ?? '–'}`
}

/** One breach or pass, with subject (or scope), accuracy, CI and threshold. */
export function formatCheck(c: ThresholdCheck): string {
  const what = checkLabel(c)
  const left = leftOutLabel(c.errors ?? 0, c.notAsked ?? 0)
  const count = c.total !== undefined ? ` (${c.correct}/${c.total}${left ? `; ${left}` : ''})` : ''
  const interval = c.ci95 ? ` ${ci(c.ci95)}` : ''
  return c.breached
    ? `✗ ${what}  ${pct(c.accuracy)}${interval}${count} is below its threshold ${pct(c.min)}`
    : `✓ ${what}  ${pct(c.accuracy)}${interval}${count} meets its threshold ${pct(c.min)}`
}

/** ` · applied: the top level and models."llama3.2:1b"`; nothing when the file has no models entries. */
export function appliedEntries(r: ThresholdReport): string {
  if (r.model) return ` · applied: the top level and models.${JSON.stringify(r.model)}`
  return r.unmatchedModels.length ? ' · applied: the top level only' : ''
}

/** A models entry keyed by a name the run does not record (e.g. without `.gguf`) was silently not applied. */
export function unmatchedModelsWarning(r: ThresholdReport): string | undefined {
  if (!r.unmatchedModels.length) return undefined
  const digests = r.runDigests.length ? ` (${r.runDigests.join(', ')})` : ''
  return (
    `no models entry matches this run's model ${r.runModel}${digests}: ${r.unmatchedModels.join(', ')} not applied. ` +
    `Fix: key the entry by the model name as the run records it (${r.runModel}) or its digest.`
  )
}

function renderThresholds(r: ThresholdReport): string[] {
  const met = r.checks.length - r.breaches.length
  const lines = [`Thresholds ${r.file}${appliedEntries(r)} · ${r.checks.length} checked: ${met} met, ${r.breaches.length} breached`]
  const warning = unmatchedModelsWarning(r)
  if (warning) lines.push(`${INDENT}⚠ ${warning}`)
  for (const b of r.breaches) lines.push(`${INDENT}${formatCheck(b)}`)
  if (r.notRun.length) lines.push(`${INDENT}not checked (not in this run): ${r.notRun.join(', ')}`)
  return lines
}

export function verdictLabel(p: PairedComparison): string {
  if (p.verdict === 'regression') return `✗ regression: ${p.reasons.join('; ')}`
  return p.verdict === 'improvement' ? '✓ improvement' : '✓ no significant change'
}

function comparisonRows(c: BaselineComparison): string[][] {
  const shown = c.subjects.filter((s) => s.rightToWrong + s.wrongToRight > 0 || s.verdict !== 'no significant change')
  const row = (p: PairedComparison) => [p.name, String(p.n), pct(p.baselineCorrect / p.n), pct(p.currentCorrect / p.n), String(p.rightToWrong), String(p.wrongToRight), formatP(p.pValue), verdictLabel(p)]
  return [['subject', 'paired', 'baseline', 'now', 'right→wrong', 'wrong→right', 'p', 'verdict'], ...shown.map(row), row(c.overall)]
}

function alignRows(rows: string[][], right: ReadonlySet<number>): string[] {
  const widths = (rows[0] as string[]).map((_, i) => maxOf(rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((cell, i) => (right.has(i) ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number))).join('  ').trimEnd())
}

/** `astronomy #1 A→C, #5 A→C, business_ethics #2 C→A, … 7 more`: the subject named once per run of flips. */
export function flipList(flips: readonly FlippedQuestion[], shown: number): string {
  const more = flips.length - shown
  const listed = flips.slice(0, shown).map((f, i) => (i > 0 && flips[i - 1]?.subject === f.subject ? formatFlip(f).slice(f.subject.length + 1) : formatFlip(f)))
  return listed.join(', ') + (more > 0 ? `, … ${more} more` : '')
}

function renderBaseline(c: BaselineComparison | BaselineRefusal, flipsShown: number): string[] {
  if (c.kind === 'refused') {
    return [
      `Baseline   ${c.file}: not compared, the runs are not comparable question by question`,
      ...c.reasons.map((r) => `${INDENT}✗ ${r}`),
      `${INDENT}Fix: compare runs made with the same shots, prompts and data, or accept this run as the new baseline (MMLU_BASELINE=<file> npm run baseline:accept).`,
    ]
  }
  const m = c.subjects.length
  const q = c.overall.questions
  const paired = q ? `${c.overall.n} asks of ${q.n} questions paired trial with trial and rotation with rotation · exact McNemar over questions (${q.worse} worse, ${q.better} better on the whole)` : `${c.overall.n} questions paired · exact McNemar`
  const lines = [
    `Baseline   ${c.file} (${c.baseline.model}, ${c.baseline.createdAt}) · ${paired}, α ${c.alpha}${m > 1 ? `, Holm across ${m} subjects` : ''} · tolerance ${c.tolerance === undefined ? 'none' : `${(c.tolerance * 100).toFixed(1)} points`}`,
  ]
  if (c.onlyCurrent || c.onlyBaseline) lines.push(`${INDENT}not paired: ${c.onlyCurrent} questions only in this run, ${c.onlyBaseline} only in the baseline`)
  for (const l of alignRows(comparisonRows(c), new Set([1, 2, 3, 4, 5, 6]))) lines.push(`${INDENT}${l}`)
  const unchanged = c.subjects.filter((s) => s.rightToWrong + s.wrongToRight === 0).length
  if (unchanged) lines.push(`${INDENT}${unchanged} subject${unchanged === 1 ? '' : 's'} without flips not listed`)
  if (flipsShown > 0 && c.rightToWrong.length) lines.push(`${INDENT}right→wrong (${c.rightToWrong.length}): ${flipList(c.rightToWrong, flipsShown)}`)
  if (flipsShown > 0 && c.wrongToRight.length) lines.push(`${INDENT}wrong→right (${c.wrongToRight.length}): ${flipList(c.wrongToRight, flipsShown)}`)
  return lines
}

export function renderGate(v: GateVerdict, flipsShown: number): string {
  const lines: string[] = []
  if (v.thresholds) for (const l of renderThresholds(v.thresholds)) lines.push(l)
  if (v.baseline) for (const l of renderBaseline(v.baseline, flipsShown)) lines.push(l)
  lines.push(`Gate       ${v.failed ? `✗ failed: ${v.reasons.join('; ')}` : '✓ passed'}`)
  return printableLines(lines.join('\n'))
}
