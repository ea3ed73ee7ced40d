// The hot paths timed by `vitest bench` (bench/hot/*.bench.ts, part B6 of
// `npm run bench`): each group's inputs are built once by `prepare`, and each
// case is one call of the product's own functions on them. A case returns
// what it built, so test/hot-bench.test.ts can check it does the work its name says.
import { letterBias } from '../../src/analysis/letter-bias.js'
import { holmAdjust } from '../../src/analysis/paired.js'
import type { QuestionRecord, RawAnswer } from '../../src/base/record.js'
import { seededRandom } from '../../src/base/random.js'
import type { Tally } from '../../src/base/stats.js'
import { clusteredAccuracy, macroInterval, mcnemarExact, stratifiedEstimate, wilson } from '../../src/base/stats.js'
import { loadSubject } from '../../src/dataset/load.js'
import type { Question } from '../../src/dataset/question.js'
import { LETTERS } from '../../src/dataset/question.js'
import { loadTopic } from '../../src/dataset/topic.js'
import { fewShot, fewShotText, formatQuestion, questionLetters } from '../../src/prompt/prompt.js'
import { summarizeRun, summarizeSubject } from '../../src/run/summary.js'
import type { SubjectSummary } from '../../src/run/summary.js'
import { scoreAnswer } from '../../src/scoring/scoring.js'
import type { HotData } from './inputs.js'
import { biasedRecords, CSV_SUBJECT, hotData, runRecords } from './inputs.js'

export interface HotCase<I> {
  name: string
  run: (inputs: I) => unknown
}

export interface HotGroup<I> {
  /** The `describe` name in the bench file: with the case's name, the key of its accepted figures. */
  group: string
  /** The bench file that times it, relative to the repository root. */
  file: string
  prepare: (env?: NodeJS.ProcessEnv) => Promise<I>
  cases: HotCase<I>[]
}

const SHOTS = 5

export const PROMPT: HotGroup<HotData> = {
  group: 'prompt',
  file: 'bench/hot/prompt.bench.ts',
  prepare: hotData,
  cases: [
    // Once per subject file: the header and its 5 worked examples.
    { name: '5-shot prefix, every subject', run: (d) => d.dev.map(({ subject, dev }) => fewShotText(fewShot(subject, dev, SHOTS))) },
    // Once per question: the question and its letter lines.
    { name: 'question suffix ×1,000', run: (d) => d.questions.map((q) => ({ suffix: formatQuestion(q), ...questionLetters(q) })) },
  ],
}

export interface ScoringInputs {
  questions: Question[]
  logprob: RawAnswer[]
  generate: RawAnswer[]
}

/** Replies as engines give them: letter probabilities, or text that opens with the letter, names it later, or names none. */
const REPLIES = [(l: string) => ` ${l}`, (l: string) => `${l}. because`, (l: string) => ` (${l})`, (l: string) => `I think the answer is ${l}.`, () => 'None of these is right.']

export const SCORING: HotGroup<ScoringInputs> = {
  group: 'scoring',
  file: 'bench/hot/scoring.bench.ts',
  async prepare(env) {
    const { questions } = await hotData(env)
    const random = seededRandom(5)
    const raw = (text: string, probabilities?: RawAnswer['probabilities']): RawAnswer => ({ text, probabilities, promptTokens: 600, evaluatedTokens: 120, completionTokens: 1, startedAt: 0, latencyMs: 80 })
    const logprob = questions.map(() => {
      const p = LETTERS.slice(0, 4).map(() => random())
      const sum = p.reduce((a, b) => a + b, 0)
      return raw(' A', Object.fromEntries(p.map((x, i) => [LETTERS[i], x / sum])))
    })
    const generate = questions.map((_, i) => raw(REPLIES[i % REPLIES.length]!(LETTERS[i % 4]!)))
    return { questions, logprob, generate }
  },
  cases: [
    { name: 'scoreAnswer log-prob ×1,000', run: (d) => d.questions.map((q, i) => scoreAnswer(q, d.logprob[i]!, SHOTS)) },
    { name: 'scoreAnswer generate ×1,000', run: (d) => d.questions.map((q, i) => scoreAnswer(q, d.generate[i]!, SHOTS)) },
  ],
}

export const CSV: HotGroup<HotData> = {
  group: 'csv',
  file: 'bench/hot/csv.bench.ts',
  prepare: hotData,
  cases: [
    { name: `loadSubject ${CSV_SUBJECT} (1,534 questions)`, run: (d) => loadSubject(d.dataDir, CSV_SUBJECT, { shots: SHOTS }) },
    { name: 'loadTopic (1,000 questions)', run: (d) => loadTopic(d.topic.spec, d.topic.root) },
  ],
}

export interface SummaryInputs {
  bySubject: [string, QuestionRecord[]][]
  records: QuestionRecord[]
  subjects: SubjectSummary[]
  trials: { bySubject: [string, QuestionRecord[]][]; records: QuestionRecord[] }
}

function bySubject(records: readonly QuestionRecord[]): [string, QuestionRecord[]][] {
  const groups = new Map<string, QuestionRecord[]>()
  for (const r of records) {
    const list = groups.get(r.subject)
    if (list) list.push(r)
    else groups.set(r.subject, [r])
  }
  return [...groups]
}

const summarizeAll = (groups: readonly [string, QuestionRecord[]][]) => groups.map(([subject, rs]) => summarizeSubject(subject, rs, 1_000, { planned: rs.length, shots: SHOTS }))

export const SUMMARY: HotGroup<SummaryInputs> = {
  group: 'summary',
  file: 'bench/hot/summary.bench.ts',
  async prepare() {
    const records = runRecords()
    const groups = bySubject(records)
    const trialRecords = runRecords(3)
    return { bySubject: groups, records, subjects: summarizeAll(groups), trials: { bySubject: bySubject(trialRecords), records: trialRecords } }
  },
  cases: [
    { name: 'summarizeSubject ×57 (14,042 records)', run: (d) => summarizeAll(d.bySubject) },
    { name: 'summarizeRun (57 subjects, 14,042 records)', run: (d) => summarizeRun(d.subjects, d.records, 60_000) },
    // Trials: every interval counts each question once (clusteredAccuracy per subject and per group).
    { name: 'both, 3 trials (42,126 records)', run: (d) => summarizeRun(summarizeAll(d.trials.bySubject), d.trials.records, 60_000) },
  ],
}

/** `f` called `n` times; the last result (each call does the same work). */
function repeat<T>(n: number, f: () => T): T {
  let out = f()
  for (let i = 1; i < n; i++) out = f()
  return out
}

export interface StatsInputs {
  tallies: (Tally & { population: number })[]
  clusters: Tally[]
  pValues: number[]
  records: QuestionRecord[]
  biased: QuestionRecord[]
}

export const STATS: HotGroup<StatsInputs> = {
  group: 'statistics',
  file: 'bench/hot/stats.bench.ts',
  async prepare() {
    const records = runRecords()
    const tallies = bySubject(records).map(([, rs]) => {
      const answered = rs.filter((r) => r.outcome !== 'error')
      return { correct: answered.filter((r) => r.outcome === 'correct').length, total: answered.length, population: rs.length }
    })
    const trials = runRecords(3)
    const clusters = new Map<string, Tally>()
    for (const r of trials) {
      const key = `${r.subject}#${r.index}`
      const c = clusters.get(key) ?? { correct: 0, total: 0 }
      c.total++
      if (r.outcome === 'correct') c.correct++
      clusters.set(key, c)
    }
    const random = seededRandom(57)
    return { tallies, clusters: [...clusters.values()], pValues: tallies.map(() => random() ** 3), records, biased: biasedRecords(171) }
  },
  cases: [
    // The cases of a few µs are repeated to about a millisecond a call: a sample that
    // short would be mostly the descheduling of a loaded machine, not the function.
    { name: 'wilson ×57, macroInterval, stratifiedEstimate ×100', run: (d) => repeat(100, () => [d.tallies.map((t) => wilson(t.correct, t.total)), macroInterval(d.tallies), stratifiedEstimate(d.tallies)]) },
    { name: 'clusteredAccuracy (14,042 questions × 3 trials)', run: (d) => clusteredAccuracy(d.clusters) },
    // Two 14,042-question runs that disagree on 1,500 questions, 700 one way and 800 the other.
    { name: 'mcnemarExact (700 vs 800 flips) ×20', run: () => repeat(20, () => mcnemarExact(700, 800)) },
    { name: 'holmAdjust (57 p-values) ×50', run: (d) => repeat(50, () => holmAdjust(d.pValues)) },
    { name: 'letterBias (14,042 records, no preference)', run: (d) => letterBias(d.records) },
    // A strong preference: no draw is as extreme, so all 10,000 Monte Carlo draws are made.
    { name: 'letterBias (171 records, A preferred)', run: (d) => letterBias(d.biased) },
  ],
}

/** Every group: its bench file and its cases' keys (`file > group > case`, as B6 and the accepted figures name them). */
export const HOT_GROUPS: readonly { group: string; file: string; keys: string[] }[] = [PROMPT, SCORING, CSV, SUMMARY, STATS].map((g) => ({
  group: g.group,
  file: g.file,
  keys: g.cases.map((c) => `${g.file} > ${g.group} > ${c.name}`),
}))

/** Each case's time budget. HOT_BENCH_QUICK=1 (the unit test that checks every bench file runs) makes each case one call. */
export function benchOptions(env: NodeJS.ProcessEnv = process.env): { time: number; iterations: number; warmupTime: number; warmupIterations: number } {
  return env.HOT_BENCH_QUICK === '1' ? { time: 0, iterations: 1, warmupTime: 0, warmupIterations: 0 } : { time: 600, iterations: 5, warmupTime: 100, warmupIterations: 2 }
}
