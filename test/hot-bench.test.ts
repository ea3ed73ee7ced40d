// B6, the hot-path benches (bench/hot/, bench/hot.ts): the ratio against the
// accepted figures and its flags, the report table, and that every case does
// the work its name says and runs under `vitest bench`. No speed is asserted:
// the figures here are written by hand, and the one real bench run makes a
// single call per case.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, test } from 'vitest'
import type { AcceptedInfo, HotFigure, HotReport, VitestBenchJson } from '../bench/hot.js'
import { compareHot, readHotFigures, runHotBenches, whyNotComparable } from '../bench/hot.js'
import { CSV, HOT_GROUPS, PROMPT, SCORING, STATS, SUMMARY } from '../bench/hot/cases.js'
import { BATCH, TOPIC_QUESTIONS } from '../bench/hot/inputs.js'
import { renderHot } from '../bench/report.js'
import type { QuestionRecord } from '../src/base/record.js'
import { SUBJECTS } from '../src/dataset/subjects.js'
import type { SubjectSummary, RunSummary } from '../src/run/summary.js'
import { cleanEnv } from './helpers/run-vitest.js'

const figure = (key: string, mean: number, rme: number, samples = 100, median = mean): HotFigure => ({ key, mean, median, p99: mean * 1.75, hz: 1000 / mean, rme, samples })

const SUFFIX = 'bench/hot/prompt.bench.ts > prompt > question suffix ×1,000'
const HOLM = 'bench/hot/stats.bench.ts > statistics > holmAdjust (57 p-values) ×50'
const TOPIC = 'bench/hot/csv.bench.ts > csv > loadTopic (1,000 questions)'
const RUN = 'bench/hot/summary.bench.ts > summary > summarizeRun (57 subjects, 14,042 records)'
const OLD = 'bench/hot/csv.bench.ts > csv > a case since removed'

const now = [figure(SUFFIX, 2, 4, 300), figure(HOLM, 0.015, 40, 30_000), figure(TOPIC, 60, 10, 9), figure(RUN, 20, 15, 29)]
const accepted = [figure(SUFFIX, 1, 4), figure(HOLM, 0.01, 40), figure(TOPIC, 55, 10), figure(OLD, 5, 5)]

describe('ratio against the accepted figures', () => {
  test('median now ÷ accepted; above the threshold it is SLOWER only with the means apart beyond both margins of error', () => {
    const rows = compareHot(now, accepted, 1.25)
    const by = new Map(rows.map((r) => [r.key, r]))
    // 2 ÷ 1, low end 2·0.96 ÷ (1·1.04)
    expect(by.get(SUFFIX)).toMatchObject({ flag: 'slower' })
    expect(by.get(SUFFIX)!.ratio).toBeCloseTo(2, 12)
    expect(by.get(SUFFIX)!.ratioLow).toBeCloseTo(1.92 / 1.04, 12)
    // 1.5×, but 1.5·0.6 ÷ 1.4 = 0.64: the margins overlap
    expect(by.get(HOLM)).toMatchObject({ flag: 'noisy' })
    expect(by.get(HOLM)!.ratio).toBeCloseTo(1.5, 12)
    expect(by.get(HOLM)!.ratioLow).toBeCloseTo(0.9 / 1.4, 12)
    expect(by.get(TOPIC)).toMatchObject({ flag: 'ok' })
    expect(by.get(TOPIC)!.ratio).toBeCloseTo(60 / 55, 12)
    expect(by.get(RUN)).toEqual({ key: RUN, now: now[3], flag: 'new' })
    expect(by.get(OLD)).toEqual({ key: OLD, accepted: accepted[3], flag: 'gone' })
    expect(rows.map((r) => r.key)).toEqual([SUFFIX, HOLM, TOPIC, RUN, OLD])
  })

  test('exactly at the threshold is not flagged; just above it, with tight margins, is', () => {
    expect(compareHot([figure(TOPIC, 1.25, 1)], [figure(TOPIC, 1, 1)], 1.25)[0]!.flag).toBe('ok')
    expect(compareHot([figure(TOPIC, 1.26, 0.1)], [figure(TOPIC, 1, 0.1)], 1.25)[0]!.flag).toBe('slower')
  })

  test('a mean pulled up by a few slow samples, the median unchanged, is not a regression; a median that moved with the means is', () => {
    // Means 2.5× apart with tight margins, medians equal: descheduled samples, not slower code.
    const outliers = compareHot([figure(TOPIC, 2.5, 5, 100, 1)], [figure(TOPIC, 1, 5, 100, 1)], 1.25)[0]!
    expect(outliers).toMatchObject({ flag: 'ok', ratio: 1 })
    expect(outliers.ratioLow).toBeCloseTo((2.5 * 0.95) / 1.05, 12)
    // Medians 2× apart, means apart by less than their margins: noisy.
    expect(compareHot([figure(TOPIC, 1.3, 30, 100, 2)], [figure(TOPIC, 1, 30, 100, 1)], 1.25)[0]).toMatchObject({ flag: 'noisy', ratio: 2 })
  })

  test('figures from other data or another machine are shown with their ratio but never flagged', () => {
    const rows = compareHot(now, accepted, 1.25, false)
    expect(rows.find((r) => r.key === SUFFIX)).toMatchObject({ flag: 'ok', ratio: 2 })
    const machine = { cpuModel: 'AMD EPYC', logicalCpus: 2, physicalCores: 2, memoryBytes: 2 ** 34, node: 'v20.20.2', os: 'Linux' }
    const info: AcceptedInfo = { createdAt: '2026-12-07T05:35:52.370Z', command: 'npm run bench -- --only=B6 --accept', machine, loadAverage: [6.5, 7.25], source: 'mmlu' }
    expect(whyNotComparable(info, 'mmlu', { ...machine, memoryBytes: 2 ** 35 })).toBeUndefined()
    expect(whyNotComparable(info, 'fixtures', machine)).toBe('the accepted figures come from MMLU data, this run from fixture questions')
    expect(whyNotComparable(info, 'mmlu', { ...machine, logicalCpus: 16 })).toBe('the accepted figures come from another machine (AMD EPYC, 2 CPUs); accept this machine\'s own (--accept)')
  })

  test("Vitest's bench JSON is read by file, group and case, whether its paths are absolute or relative", () => {
    const bench = (name: string, mean: number) => ({ id: 'x', name, mean, p99: 2 * mean, hz: 1000 / mean, rme: 3, sampleCount: 7, median: mean / 2 })
    const json = (filepath: string): VitestBenchJson => ({ files: [{ filepath, groups: [{ fullName: 'bench/hot/prompt.bench.ts > prompt', benchmarks: [bench('question suffix ×1,000', 2), bench('other', 4)] }] }] })
    const expected = [
      { key: SUFFIX, mean: 2, median: 1, p99: 4, hz: 500, rme: 3, samples: 7 },
      { key: 'bench/hot/prompt.bench.ts > prompt > other', mean: 4, median: 2, p99: 8, hz: 250, rme: 3, samples: 7 },
    ]
    expect(readHotFigures(json('/repo/bench/hot/prompt.bench.ts'), '/repo')).toEqual(expected)
    expect(readHotFigures(json('bench/hot/prompt.bench.ts'), '/repo')).toEqual(expected)
  })
})

describe('B6 report', () => {
  const info: AcceptedInfo = {
    createdAt: '2026-12-07T05:35:52.370Z',
    command: 'npm run bench -- --only=B6 --accept',
    machine: { cpuModel: 'AMD EPYC', logicalCpus: 2, physicalCores: 2, memoryBytes: 2 ** 34, node: 'v20.20.2', os: 'Linux' },
    loadAverage: [6.5, 7.25],
    source: 'mmlu',
  }
  const report = (extra: Partial<HotReport> = {}): HotReport => ({ source: 'mmlu', figures: now, accepted: info, threshold: 1.25, comparisons: compareHot(now, accepted, 1.25), acceptedNow: false, ...extra })

  test('a row per case with its figures, the accepted mean, the ratio and the flag; the verdict names the slower cases', () => {
    const text = renderHot(report())
    expect(text).toMatch(/^prompt > question suffix ×1,000 +2\.00 ms +2\.00 ms +3\.50 ms +500 +±4\.0% +300 +1\.00 ms +2\.00× +SLOWER$/m)
    expect(text).toMatch(/^statistics > holmAdjust \(57 p-values\) ×50 +15\.0 µs +15\.0 µs +26\.3 µs +66667 +±40\.0% +30000 +10\.0 µs +1\.50× +noisy$/m)
    expect(text).toMatch(/^csv > loadTopic \(1,000 questions\) +60\.0 ms +60\.0 ms +105 ms +16\.7 +±10\.0% +9 +55\.0 ms +1\.09×$/m)
    expect(text).toMatch(/^summary > summarizeRun \(57 subjects, 14,042 records\) +20\.0 ms +20\.0 ms +35\.0 ms +50\.0 +±15\.0% +29 +– +– +new$/m)
    expect(text).toMatch(/^csv > a case since removed +– +– +– +– +– +– +5\.00 ms +– +not measured$/m)
    expect(text).toContain('    ratio = median now ÷ accepted (2026-12-07, AMD EPYC, 2 CPUs, load 6.5–7.3, MMLU data)')
    expect(text).toContain('    above 1.25×: 1 SLOWER, the means apart beyond both margins of error (question suffix ×1,000); 1 with the means within the margins (noisy: rerun)')
  })

  test('without accepted figures it says how to accept them; figures it cannot judge say why', () => {
    const fresh = renderHot(report({ accepted: undefined, comparisons: compareHot(now, []) }))
    expect(fresh).toContain('no accepted figures yet: npm run bench -- --only=B6 --accept')
    expect(fresh).not.toContain('SLOWER')
    const accepting = renderHot(report({ accepted: undefined, comparisons: compareHot(now, []), acceptedNow: true }))
    expect(accepting).not.toContain('no accepted figures yet')
    expect(accepting).toContain('accepted: these figures are now bench/accepted-hot.json')
    const other = renderHot(report({ source: 'fixtures', notJudged: 'the accepted figures come from MMLU data, this run from fixture questions', comparisons: compareHot(now, accepted, 1.25, false) }))
    expect(other).toContain('fixture questions (no MMLU data found)')
    expect(other).toContain('    not judged: the accepted figures come from MMLU data, this run from fixture questions')
    expect(other).not.toMatch(/SLOWER|noisy|above 1\.25×/)
  })

  test('times from µs to seconds keep three significant digits', () => {
    const slow = [figure(RUN, 1410, 20, 5)]
    expect(renderHot(report({ figures: slow, comparisons: compareHot(slow, [figure(RUN, 999.6, 20)]) }))).toMatch(/^summary > summarizeRun \(57 subjects, 14,042 records\) +1\.41 s +1\.41 s +2\.47 s +0\.7 +±20\.0% +5 +1\.00 s +1\.41× +noisy$/m)
  })
})

describe('each case does the work its name says (fixture questions, one call each)', () => {
  const env = { MMLU_DATA_DIR: path.resolve('no-such-mmlu-folder') }
  const LETTERS4 = ['A', 'B', 'C', 'D'] as const

  test('prompt: a 5-shot prefix per subject; a suffix per question', async () => {
    const d = await PROMPT.prepare(env)
    expect(d.source).toBe('fixtures')
    const [prefixes, suffixes] = PROMPT.cases.map((c) => c.run(d)) as [string[], { suffix: string; letters?: string[] }[]]
    expect(prefixes).toHaveLength(57)
    expect(prefixes[0]).toMatch(/^The following are multiple choice questions \(with answers\) about abstract algebra\.\n\n/)
    for (const p of prefixes) {
      expect(p).toMatch(/^The following are multiple choice questions \(with answers\) about [a-z ]+\.\n\n/)
      expect(p.match(/\nAnswer: [A-D]\n\n/g)).toHaveLength(5)
    }
    expect(suffixes).toHaveLength(BATCH)
    expect(suffixes.every((s) => /\nA\. .*\nB\. .*\nC\. .*\nD\. .*\nAnswer:$/s.test(s.suffix) && s.letters === undefined)).toBe(true)
  })

  test('scoring: the argmax letter of each log-prob answer; the letter of each generated reply, or invalid', async () => {
    const d = await SCORING.prepare(env)
    const [logprob, generate] = SCORING.cases.map((c) => c.run(d)) as [QuestionRecord[], QuestionRecord[]]
    expect(logprob).toHaveLength(BATCH)
    logprob.forEach((r, i) => {
      const p = d.logprob[i]!.probabilities!
      const best = LETTERS4.reduce((m, l) => (p[l]! > p[m]! ? l : m))
      expect(r.given).toBe(best)
      expect(r.outcome).toBe(best === d.questions[i]!.answer ? 'correct' : 'wrong')
    })
    // Replies cycle over five forms; the fifth names no letter.
    generate.forEach((r, i) => expect(r.given).toBe(i % 5 === 4 ? null : LETTERS4[i % 4]))
    expect(generate.filter((r) => r.outcome === 'invalid')).toHaveLength(BATCH / 5)
  })

  test('csv: the largest subject file at its canonical size, and a topic of distinct questions', async () => {
    const d = await CSV.prepare(env)
    const [subject, topic] = (await Promise.all(CSV.cases.map((c) => c.run(d)))) as [{ dev: unknown[]; test: unknown[] }, { test: unknown[]; warnings: string[] }]
    expect(subject.dev).toHaveLength(5)
    expect(subject.test).toHaveLength(SUBJECTS.professional_law.testCount)
    expect(topic.test).toHaveLength(TOPIC_QUESTIONS)
    expect(topic.warnings).toEqual([])
  })

  test('summary: every record of 57 subjects counted, once per ask with trials', async () => {
    const d = await SUMMARY.prepare()
    const [subjects, run, trials] = SUMMARY.cases.map((c) => c.run(d)) as [SubjectSummary[], RunSummary, RunSummary]
    expect(d.records).toHaveLength(14_042)
    expect(subjects).toHaveLength(57)
    expect(subjects.reduce((n, s) => n + s.total, 0)).toBe(14_042)
    expect(subjects.reduce((n, s) => n + s.correct, 0)).toBe(d.records.filter((r) => r.outcome === 'correct').length)
    expect(run.questions).toBe(14_042)
    expect(run.invalid).toBe(d.records.filter((r) => r.outcome === 'invalid').length)
    expect(trials.questions).toBe(3 * 14_042)
  })

  test('statistics: the intervals of 57 subjects, the paired tests, and the letter-preference test stopping early or drawing all 10,000 times', async () => {
    const d = await STATS.prepare()
    const [intervals, clustered, mcnemar, holm, uniform, biased] = STATS.cases.map((c) => c.run(d)) as [
      [unknown[], unknown, unknown],
      { effectiveN: number },
      number,
      number[],
      { test: { draws: number }; strong: boolean },
      { test: { draws: number }; strong: boolean },
    ]
    expect(intervals[0]).toHaveLength(57)
    expect(clustered.effectiveN).toBeGreaterThan(0)
    expect(clustered.effectiveN).toBeLessThanOrEqual(3 * 14_042)
    // Normal approximation with continuity correction: z = (|700 − 800| − 1) / √1500 = 2.556, p ≈ 0.0106.
    expect(mcnemar).toBeGreaterThan(0.009)
    expect(mcnemar).toBeLessThan(0.012)
    expect(holm).toHaveLength(57)
    holm.forEach((p, i) => expect(p).toBeGreaterThanOrEqual(d.pValues[i]!))
    expect(uniform.strong).toBe(false)
    expect(uniform.test.draws).toBeLessThan(10_000)
    expect(biased.strong).toBe(true)
    expect(biased.test.draws).toBe(10_000)
  })
})

describe('the bench files', () => {
  test('vitest bench runs every case of every group, one call each; no test run of the project lists them', async () => {
    const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'hot-bench-')), 'hot.json')
    await runHotBenches(out, cleanEnv({ HOT_BENCH_QUICK: '1', MMLU_DATA_DIR: path.resolve('no-such-mmlu-folder') }), 110_000, true)
    const figures = readHotFigures(JSON.parse(await readFile(out, 'utf8')) as VitestBenchJson, process.cwd())
    expect(figures.map((f) => f.key).sort()).toEqual(HOT_GROUPS.flatMap((g) => g.keys).sort())
    expect(figures.every((f) => f.samples >= 1)).toBe(true)

    const { stdout } = await promisify(execFile)(process.execPath, ['node_modules/vitest/vitest.mjs', 'list', '--filesOnly', '--json'], { env: cleanEnv({}) })
    const listed = (JSON.parse(stdout) as { file: string }[]).map((f) => path.relative(process.cwd(), f.file))
    expect(listed).toContain('test/hot-bench.test.ts')
    expect(listed.filter((f) => f.startsWith('bench/'))).toEqual([])
  })
})
