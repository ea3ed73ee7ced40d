// The benchmark report: what machine ran it, and the figures as text tables.
// Pure rendering, apart from reading the machine description.
import type { Machine } from './machine.js'
import type { ScoringMode } from '../src/config/options.js'
import type { SetupFigures, MemoryFigures } from './engine.js'
import type { GrowthFigures } from './growth.js'
import type { HarnessFigures } from './harness.js'
import type { HotComparison, HotReport } from './hot.js'
import type { TwinSpeedFigures } from './twin-speed.js'
import type { ScaleFigures } from './scale.js'
import { renderScale } from './scale.js'
import type { StartupFigures } from './startup.js'
import { renderStartup } from './startup.js'
import { maxOf, minOf } from '../src/base/extent.js'


/** 1-minute load average before and after a part: how busy the machine was besides us. */
export interface PartTiming {
  part: string
  ms: number
  loadBefore: number
  loadAfter: number
}

export interface EngineReport {
  subject: string
  questions: number
  model: string
  setups: (Omit<SetupFigures, 'latenciesMs'> & { speedup: number })[]
  threads: (Omit<SetupFigures, 'latenciesMs'> & { speedup: number })[]
  bestSpeedup: number
  /** Reuse over naive with both on one thread. */
  oneThreadSpeedup: number | undefined
  goalSpeedup: number
}

/** B5: one scoring mode on one thread count, concurrency 1 against 4. */
export interface ConcurrencyRow {
  scoring: ScoringMode
  threads: number
  one: Omit<SetupFigures, 'latenciesMs'>
  four: Omit<SetupFigures, 'latenciesMs'>
  /** q/s at 4 ÷ q/s at 1. */
  gain: number
  /** Mean latency at 4 ÷ at 1. */
  latencyInflation: number
}

export interface ConcurrencyReport {
  subject: string
  questions: number
  model: string
  maxTokens: number
  rows: ConcurrencyRow[]
  /** Issue 4: 4 in flight ≥ 1.5× the throughput of 1, where the work is decode steps (generate, default threads). */
  goalGain: number
}

export interface TwinReport {
  file: { path: string; fileSize: number; generatedMs: number }
  vocabulary: string
  runs: TwinSpeedFigures[]
  seedSecondsPerQuestion: number
  seedNote: string
}

export interface GrowthReport extends GrowthFigures {
  memory: MemoryFigures[]
}

export interface HarnessReport extends HarnessFigures {
  goalOverheadMsPerQuestion: number
  goalVitestMs: number
}

export interface BenchReport {
  createdAt: string
  command: string
  machine: Machine
  parts: PartTiming[]
  totalMs: number
  B1?: HarnessReport
  B2?: EngineReport
  B3?: TwinReport
  B4?: GrowthReport
  B5?: ConcurrencyReport
  B6?: HotReport
  B7?: ScaleFigures
  B8?: StartupFigures
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => maxOf(rows.map((r) => (r[c] ?? '').length)))
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()).join('\n')
}

const s = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`
const x = (r: number): string => `${r.toFixed(2)}×`
const mark = (ok: boolean): string => (ok ? 'met' : 'MISSED')

export function renderMachine(m: Machine, parts: readonly PartTiming[]): string {
  const loads = parts.flatMap((p) => [p.loadBefore, p.loadAfter])
  const load = loads.length ? ` · load average (1 min) during the run ${minOf(loads).toFixed(1)}–${maxOf(loads).toFixed(1)} on ${m.logicalCpus} CPUs` : ''
  return `Machine  ${m.cpuModel} · ${m.logicalCpus} CPUs (${m.physicalCores} physical cores) · ${mb(m.memoryBytes)} · Node ${m.node} · ${m.os} · node-llama-cpp ${m.nodeLlamaCpp} · Vitest ${m.vitest}${load}`
}

export function renderHarness(b: HarnessReport): string {
  const overheadOk = b.overheadMsPerQuestion <= b.goalOverheadMsPerQuestion
  return [
    `B1  Harness overhead · all 57 subjects, ${b.questions.toLocaleString('en-US')} questions, 5-shot, instant engine`,
    table([
      ['', 'all questions', 'MMLU_LIMIT=1 (fixed part)'],
      ['bare loop (no Vitest)', s(b.bareMs), s(b.bareFixedMs)],
      ['vitest run (spawned)', s(b.vitestMs), s(b.vitestFixedMs)],
    ]),
    `    overhead ${b.overheadMsPerQuestion.toFixed(3)} ms/question ((vitest − bare) ÷ ${b.questions}) · goal ≤ ${b.goalOverheadMsPerQuestion} ms: ${mark(overheadOk)}`,
    `    per question only ${b.marginalOverheadMsPerQuestion.toFixed(3)} ms/question (fixed parts taken out of both sides)`,
    `    full Vitest run ${s(b.vitestMs)} (reporter wall ${s(b.vitestReporterWallMs)}) · goal ≤ ${s(b.goalVitestMs)}: ${mark(b.vitestMs <= b.goalVitestMs)}`,
  ].join('\n')
}

export function renderEngine(b: EngineReport): string {
  const row = (f: EngineReport['setups'][number]): string[] => [
    f.name,
    String(f.sequences),
    String(f.threads),
    f.questionsPerSecond.toFixed(2),
    s(f.wallMs),
    f.evaluatedTokens.toLocaleString('en-US'),
    f.evaluatedTokensPerSecond.toFixed(0),
    x(f.speedup),
  ]
  const header = ['setup', 'seq', 'threads', 'q/s', 'wall', 'tokens evaluated', 'tok/s', '× naive']
  return [
    `B2  Embedded engine, 5-shot · ${b.questions} ${b.subject} questions · ${b.model}`,
    table([header, ...b.setups.map(row)]),
    `    best ${x(b.bestSpeedup)} over naive · goal ≥ ${b.goalSpeedup}×: ${mark(b.bestSpeedup >= b.goalSpeedup)} · prompt tokens ${b.setups[0]?.promptTokens.toLocaleString('en-US')} in all`,
    ...(b.oneThreadSpeedup === undefined ? [] : [`    on 1 thread: reuse ${x(b.oneThreadSpeedup)} over naive · goal ≥ ${b.goalSpeedup}×: ${mark(b.oneThreadSpeedup >= b.goalSpeedup)}`]),
    `    threads (1 sequence; × = q/s relative to the same setup on 1 thread):`,
    table([header.map((h) => (h === '× naive' ? '×' : h)), ...b.threads.map(row)]),
  ].join('\n')
}

export function renderConcurrency(b: ConcurrencyReport): string {
  const perQ = (n: number, f: { questions: number }): string => (n / f.questions).toFixed(0)
  const rows = [['scoring', 'threads', 'evaluated tok/q', 'generated tok/q', 'q/s at 1', 'q/s at 4', '4 vs 1', 'latency ×']]
  for (const r of b.rows) {
    rows.push([r.scoring, String(r.threads), perQ(r.one.evaluatedTokens, r.one), perQ(r.one.completionTokens, r.one), r.one.questionsPerSecond.toFixed(2), r.four.questionsPerSecond.toFixed(2), x(r.gain), x(r.latencyInflation)])
  }
  const defaultThreads = maxOf(b.rows.map((r) => r.threads))
  const judged = b.rows.find((r) => r.scoring === 'generate' && r.threads === defaultThreads)
  const logprob = b.rows.find((r) => r.scoring === 'logprob' && r.threads === defaultThreads)
  return [
    `B5  In-file concurrency on the embedded engine · ${b.questions} ${b.subject} questions, 5-shot, prefix reuse · ${b.model} · generate: up to ${b.maxTokens} tokens`,
    table(rows),
    ...(judged ? [`    goal: 4 in flight ≥ ${b.goalGain}× the throughput of 1 where the work is decode steps (generate, ${judged.threads} threads): ${x(judged.gain)} ${mark(judged.gain >= b.goalGain)}`] : []),
    ...(logprob
      ? [`    log-prob: ${x(logprob.gain)}: a log-prob question is one decode of its ~${perQ(logprob.one.evaluatedTokens, logprob.one)} new tokens, already a batch; batching shares a decode's fixed cost, not its per-token compute`]
      : []),
  ].join('\n')
}

export function renderTwin(b: TwinReport): string {
  const rows = [['shots', 'threads', 's/question', 'first', 'later', 'prompt tokens', 'tok/s', 'load', 'peak RSS']]
  for (const r of b.runs) {
    rows.push([
      `${r.shots}-shot`,
      String(r.threads),
      r.secondsPerQuestion.toFixed(2),
      `${r.firstQuestionSeconds.toFixed(2)} s`,
      `${r.laterSecondsPerQuestion.toFixed(2)} s`,
      r.meanPromptTokens.toFixed(0),
      r.evaluatedTokensPerSecond.toFixed(1),
      s(r.loadMs),
      mb(r.peakRssBytes),
    ])
  }
  return [
    `B3  Llama 3.2 1B twin · ${b.file.path} · ${(b.file.fileSize / 1e9).toFixed(2)} GB Q8_0 · ${b.vocabulary}${b.file.generatedMs ? ` · generated in ${s(b.file.generatedMs)}` : ' · cached'} · ${b.runs[0]?.questions} astronomy questions, prefix reuse`,
    table(rows),
    `    seed experiment: ${b.seedSecondsPerQuestion.toFixed(2)} s/question — ${b.seedNote}`,
  ].join('\n')
}

export function renderGrowth(b: GrowthReport): string {
  const rows = [['questions', 'subject wall', 'ms/question', 'marginal ms/q', 'process', 'tokens evaluated']]
  for (const p of b.points) {
    rows.push([
      String(p.questions),
      s(p.subjectWallMs),
      p.msPerQuestion.toFixed(1),
      p.marginalMsPerQuestion === undefined ? '–' : p.marginalMsPerQuestion.toFixed(1),
      s(p.processMs),
      p.evaluatedTokens.toLocaleString('en-US'),
    ])
  }
  const quarters = [['questions', 'engine ms/q', 'harness gap ms/q'], ...b.quarters.map((q) => [q.questions, q.engineMs.toFixed(1), q.harnessGapMs.toFixed(2)])]
  const mem = [['sequences', 'context/seq', 'KV cache', 'RSS after load', 'peak RSS', 'peak − load']]
  for (const m of b.memory) {
    mem.push([String(m.sequences), String(m.contextSize), mb(m.kvCacheBytes), mb(m.rssAfterLoadBytes), mb(m.peakRssBytes), mb(m.peakRssBytes - m.rssAfterLoadBytes)])
  }
  return [
    `B4  Growth · ${b.subject}, 5-shot, 1 sequence, ${b.threads} thread${b.threads === 1 ? '' : 's'}, random-small, through Vitest`,
    table(rows),
    `    the ${b.points.at(-1)?.questions}-question run by quarter (a harness cost growing per question would show in the gap):`,
    table(quarters),
    `    memory (random-small, ${b.memory[0]?.questions} questions, reuse):`,
    table(mem),
  ].join('\n')
}

/** A time given in ms, with 3 significant digits: in µs below 1 ms, in s from 1 s. */
function ms(t: number): string {
  return t < 1 ? `${(t * 1000).toPrecision(3)} µs` : t < 999.5 ? `${t.toPrecision(3)} ms` : `${(t / 1000).toPrecision(3)} s`
}

const HOT_MARKS: Record<HotComparison['flag'], string> = { ok: '', slower: 'SLOWER', noisy: 'noisy', new: 'new', gone: 'not measured' }

export function renderHot(b: HotReport): string {
  const rows = [['case', 'mean', 'median', 'p99', 'hz', 'rme', 'samples', 'accepted median', 'ratio', '']]
  for (const c of b.comparisons) {
    const f = c.now
    rows.push([
      c.key.replace(/^bench\/hot\/[^>]*> /, ''),
      f ? ms(f.mean) : '–',
      f ? ms(f.median) : '–',
      f ? ms(f.p99) : '–',
      f ? f.hz.toFixed(f.hz < 100 ? 1 : 0) : '–',
      f ? `±${f.rme.toFixed(1)}%` : '–',
      f ? String(f.samples) : '–',
      c.accepted ? ms(c.accepted.median) : '–',
      c.ratio === undefined ? '–' : x(c.ratio),
      HOT_MARKS[c.flag],
    ])
  }
  const a = b.accepted
  const slower = b.comparisons.filter((c) => c.flag === 'slower')
  const noisy = b.comparisons.filter((c) => c.flag === 'noisy')
  return [
    `B6  Hot paths · vitest bench (tinybench) · bench/hot/*.bench.ts · ${b.source === 'mmlu' ? 'MMLU data' : 'fixture questions (no MMLU data found)'}`,
    table(rows),
    ...(a
      ? [`    ratio = median now ÷ accepted (${a.createdAt.slice(0, 10)}, ${a.machine.cpuModel}, ${a.machine.logicalCpus} CPUs, load ${a.loadAverage[0].toFixed(1)}–${a.loadAverage[1].toFixed(1)}, ${a.source === 'mmlu' ? 'MMLU data' : 'fixture questions'})`]
      : b.acceptedNow
        ? []
        : ['    no accepted figures yet: npm run bench -- --only=B6 --accept']),
    ...(a && b.notJudged ? [`    not judged: ${b.notJudged}`] : []),
    ...(a && !b.notJudged
      ? [
          `    above ${x(b.threshold)}: ${slower.length ? `${slower.length} SLOWER, the means apart beyond both margins of error (${slower.map((c) => c.key.replace(/^.* > /, '')).join(', ')})` : 'none slower with the means apart beyond the margins of error'}${noisy.length ? `; ${noisy.length} with the means within the margins (noisy: rerun)` : ''}`,
        ]
      : []),
    ...(b.acceptedNow ? ['    accepted: these figures are now bench/accepted-hot.json'] : []),
  ].join('\n')
}

export function renderReport(r: BenchReport): string {
  const blocks = [renderMachine(r.machine, r.parts)]
  if (r.B1) blocks.push(renderHarness(r.B1))
  if (r.B2) blocks.push(renderEngine(r.B2))
  if (r.B3) blocks.push(renderTwin(r.B3))
  if (r.B4) blocks.push(renderGrowth(r.B4))
  if (r.B5) blocks.push(renderConcurrency(r.B5))
  if (r.B6) blocks.push(renderHot(r.B6))
  if (r.B7) blocks.push(renderScale(r.B7))
  if (r.B8) blocks.push(renderStartup(r.B8))
  blocks.push(`Parts    ${r.parts.map((p) => `${p.part} ${s(p.ms)}`).join(' · ')} · total ${s(r.totalMs)}`)
  return blocks.join('\n\n')
}
