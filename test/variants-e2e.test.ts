// Trials, rotated options, seeded samples, named protocols and chat prompts
// end to end (issue 15 items 3-6, issue 14 item 3): spawned `vitest run` on
// the mmlu project with the embedded engine and the project's own GGUF models.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import { loadSubject } from '../src/dataset/load.js'
import { LETTERS } from '../src/dataset/question.js'
import type { QuestionRecord } from '../src/base/record.js'
import { questionKey, recordKey } from '../src/base/record.js'
import { testName } from '../src/suite.js'
import { wilson } from '../src/base/stats.js'
import { hasOptionReferences } from '../src/prompt/option-references.js'
import { rotateQuestion, sampleQuestions } from '../src/prompt/variants.js'
import { FIXTURE_DATA_DIR, HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { runVitest } from './helpers/run-vitest.js'

const fixtureEnv = { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', MMLU_CACHE: 'off', MMLU_THREADS: '1' }

const byQuestion = (records: readonly QuestionRecord[]) => {
  const out = new Map<string, QuestionRecord[]>()
  for (const r of records) out.set(questionKey(r), [...(out.get(questionKey(r)) ?? []), r])
  return out
}

describe('trials on the embedded engine (random-small, fixture data)', () => {
  test('temperature 1, 5 trials: the trials differ, a rerun with the same seed gives the same answers', async () => {
    const model = await fixtureModelPath('random-small')
    // 0-shot: the trials' sampling is what is tested, and each ask evaluates a sixth of the tokens.
    const env = { ...fixtureEnv, MMLU_MODEL: model, MMLU_TRIALS: '5', MMLU_SHOTS: '0' }
    const [warm, again] = await Promise.all([runVitest(['evals/astronomy'], { env: { ...env, MMLU_TEMPERATURE: '1' } }), runVitest(['evals/astronomy'], { env: { ...env, MMLU_TEMPERATURE: '1' } })])
    for (const run of [warm, again]) expect(run.code, run.output).toBe(0)
    const records = warm.results!.records
    expect(records).toHaveLength(8 * 5)
    expect(new Set(records.map(recordKey)).size).toBe(40)
    expect(records.every((r) => r.trial! >= 1 && r.trial! <= 5 && r.rotation === undefined)).toBe(true)
    // Sampling changed some answers between trials…
    const differing = [...byQuestion(records).values()].filter((rs) => new Set(rs.map((r) => r.given)).size > 1)
    expect(differing.length).toBeGreaterThan(0)
    // …and the same seed draws the same answers again.
    const answers = (rs: readonly QuestionRecord[]) => Object.fromEntries(rs.map((r) => [recordKey(r), r.given]))
    expect(answers(again.results!.records)).toEqual(answers(records))
    // Reported: the spread across trials, with the trials' own accuracies.
    const t = warm.results!.summary.trials!
    const perTrial = [1, 2, 3, 4, 5].map((n) => records.filter((r) => r.trial === n && r.outcome === 'correct').length / 8)
    expect(t.accuracies).toEqual(perTrial)
    expect([t.min, t.max]).toEqual([Math.min(...perTrial), Math.max(...perTrial)])
    expect(t.unanimous).toBe(1 - differing.length / 8)
    expect(warm.output).toContain('5 trials per question, temperature 1 (seeds from MMLU_SEED 42)')
    expect(warm.output).toMatch(/Trials {5}5 trials at temperature 1 · mean [\d.]+% \(min [\d.]+%, max [\d.]+%, sd [\d.]+ points\) · majority vote/)
    expect(warm.output).toContain('Intervals  each question counts once: 40 answers to 8 questions')
    expect(warm.results!.config.asks).toEqual({ temperature: 1, trials: 5, rotate: false, seed: 42 })
    expect(warm.results!.config.inputs!.astronomy).toMatchObject({ temperature: 1, trials: 5, seed: 42 })
    // Greedy trials are identical: at temperature 0 each trial is asked without a seed (src/suite.ts) and the
    // engine's greedy reply repeats (llamacpp-chat.test.ts); the spread of identical trials is variants.test.ts's,
    // the header's line variants-render.test.ts's.
  }, 60_000)
})

describe.skipIf(!HAS_REAL_DATA)('rotated options, always-C on real astronomy', () => {
  test('right exactly once per question across the four rotations: circular 0, a quarter of all answers, per rotation the share of keys landing on C; questions whose options point at others kept as written', async () => {
    // The first 40 questions keep the test short; the counts are exact for any set of questions.
    const all = (await loadSubject(REAL_DATA_DIR, 'astronomy')).test.slice(0, 40)
    // "A and D", "all of the above": asked once, as written (3 of these 40).
    const kept = all.filter((q) => hasOptionReferences(q.choices))
    expect(kept.length).toBeGreaterThan(0)
    const questions = all.filter((q) => !kept.includes(q))
    const n = questions.length
    const run = await runVitest(['evals/astronomy'], { env: { MMLU_DATA_DIR: REAL_DATA_DIR, MMLU_MODEL: await fixtureModelPath('fixed-C'), MMLU_ROTATE: 'on', MMLU_LIMIT: '40', MMLU_CACHE: 'off', MMLU_THREADS: '1' } })
    expect(run.code, run.output).toBe(0)
    const records = run.results!.records
    expect(records).toHaveLength(n * 4 + kept.length)
    const keptIndexes = new Set(kept.map((q) => q.index))
    for (const rs of byQuestion(records).values()) {
      if (keptIndexes.has(rs[0]!.index)) {
        expect(rs.map((r) => r.rotation)).toEqual([undefined])
        continue
      }
      expect(rs.map((r) => r.rotation).sort()).toEqual([0, 1, 2, 3])
      expect(rs.filter((r) => r.outcome === 'correct')).toHaveLength(1)
    }
    // Each record expects the key where its rotation put it, and the model said C.
    for (const r of records) expect([r.given, r.expected]).toEqual(['C', rotateQuestion(all[r.index]!, r.rotation ?? 0).answer])
    // Under rotation r the key lands on C when it was written at (2 − r) mod 4.
    const share = [0, 1, 2, 3].map((r) => questions.filter((q) => q.answer === LETTERS[(2 - r + 4) % 4]).length / n)
    expect(new Set(share).size).toBeGreaterThan(1)
    const summary = run.results!.summary
    expect(summary.rotation).toEqual({ rotations: 4, accuracies: share, questions: n, incomplete: 0, circular: 0, consistency: 0, keptAsWritten: kept.length })
    const keptRight = kept.filter((q) => q.answer === 'C').length
    expect(summary).toMatchObject({ questions: n * 4 + kept.length, correct: n + keptRight, questionsAsked: 40 })
    // The few-shot examples are not rotated: every ask is 5-shot and reuses the prefix the first evaluated.
    expect(records.every((r) => r.shots === 5)).toBe(true)
    expect(records.slice(1).every((r) => r.evaluatedTokens < r.promptTokens / 2)).toBe(true)
    expect(run.output).toContain(`Rotation   per rotation as written ${(share[0]! * 100).toFixed(1)}% · +1 ${(share[1]! * 100).toFixed(1)}% ·`)
    expect(run.output).toContain('circular 0.0% (right under all 4) · consistent 0.0% (same option under all 4)')
    expect(run.output).toContain(`${kept.length} questions kept as written (an option points at others`)
    expect(run.output).toContain('options rotated: each question once per rotation')
    expect(run.output).toContain(`Accuracy   ${(((n + keptRight) / (n * 4 + kept.length)) * 100).toFixed(1)}% [`)
    expect(run.results!.config.inputs!.astronomy).toMatchObject({ rotate: true })
    // The page beside the results: a row per ask, with the question's text, not the test name's variant label.
    const page = await readFile(path.join(path.dirname(run.resultsPath), 'index.html'), 'utf8')
    const row = /<tr id="q-astronomy-0-r1"><td>0\/r1<\/td><td class="text">([^<]*)<\/td>/.exec(page)
    const unescaped = row![1]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    expect(unescaped).toBe(testName(all[0]!).replace(/^#0 /, ''))
  }, 60_000)
})

describe.skipIf(!HAS_REAL_DATA)('a quick look that is not biased: a seeded sample under a named protocol', () => {
  test('MMLU_SAMPLE=40 asks the seed\'s questions; their interval covers the full run\'s accuracy (always-C: 46/152); header and results say so', async () => {
    const { test: questions } = await loadSubject(REAL_DATA_DIR, 'astronomy')
    // Sampling is the suite's: the instant always-C engine answers as the fixed-C GGUF does.
    const env = { MMLU_DATA_DIR: REAL_DATA_DIR, MMLU_ENGINE_MODULE: 'fixtures/engines/always-c.ts', MMLU_SAMPLE: '40', MMLU_PROTOCOL: 'lm-eval', MMLU_SHOTS: '0', MMLU_CACHE: 'off', MMLU_THREADS: '1' }
    const run = await runVitest(['evals/astronomy'], { env })
    expect(run.code, run.output).toBe(0)
    const expected = sampleQuestions(questions, 'astronomy', { count: 40 }, 42).map((q) => q.index)
    expect(run.results!.records.map((r) => r.index)).toEqual(expected)
    const s = run.results!.subjects[0]!
    expect(s).toMatchObject({ total: 40, status: 'complete', correct: expected.filter((i) => questions[i]!.answer === 'C').length })
    expect(s.ci95.low).toBeLessThanOrEqual(46 / 152)
    expect(s.ci95.high).toBeGreaterThanOrEqual(46 / 152)
    expect(run.output).toContain('protocol lm-eval (overridden: MMLU_SHOTS=0 (lm-eval sets 5)) · seeded random sample of 40 per subject, weighted to the full set (seed 42)')
    // The sample is weighted to the subject's 152 questions: with one subject, the same accuracy; the micro line says so.
    expect(s.population).toBe(152)
    expect(run.results!.summary).toMatchObject({ population: 152, microAccuracy: s.accuracy })
    expect(run.output).toContain(`micro (${s.correct}/40 asked, weighted to the full set's 152 questions)`)
    expect(run.results!.config).toMatchObject({ protocol: { name: 'lm-eval', overrides: ['MMLU_SHOTS=0 (lm-eval sets 5)'] }, asks: { sample: '40 per subject', seed: 42 }, scoring: 'logprob', shots: 0 })
    expect(run.results!.config.inputs!.astronomy).toMatchObject({ sample: '40 per subject', seed: 42 })
  }, 60_000)

  test('over all 57 subjects, a 30-question sample\'s 95% interval covers the always-C accuracy of the whole subject nearly always', async () => {
    const { SUBJECT_NAMES } = await import('../src/dataset/subjects.js')
    let covered = 0
    for (const subject of SUBJECT_NAMES) {
      const { test: all } = await loadSubject(REAL_DATA_DIR, subject)
      const truth = all.filter((q) => q.answer === 'C').length / all.length
      const sample = sampleQuestions(all, subject, { count: 30 }, 42)
      const ci = wilson(sample.filter((q) => q.answer === 'C').length, sample.length)
      if (ci.low <= truth && truth <= ci.high) covered++
    }
    // 95% intervals (conservative here: a sample without replacement) miss about 3 of 57; 51 is two binomial sd below.
    expect(covered).toBeGreaterThanOrEqual(51)
  })
})

describe('chat prompts on the embedded engine under the generative protocol', () => {
  test('always-C with a chat template: every reply starts with C and is read as C; macro first; the header names the protocol and the chat format', async () => {
    const run = await runVitest(['evals/astronomy', 'evals/business_ethics'], { env: { ...fixtureEnv, MMLU_MODEL: await fixtureModelPath('fixed-C-chat'), MMLU_PROTOCOL: 'generative' } })
    expect(run.code, run.output).toBe(0)
    const records = run.results!.records
    expect(records).toHaveLength(16)
    for (const r of records) {
      expect(r.text).toMatch(/^ C/)
      expect(r.given).toBe('C')
      expect(r.completionTokens).toBeLessThanOrEqual(10)
      expect(r.probabilities).toBeUndefined()
    }
    const keysOnC = (await Promise.all(['astronomy', 'business_ethics'].map((s) => loadSubject(FIXTURE_DATA_DIR, s, { allowPartial: true })))).flatMap((s) => s.test).filter((q) => q.answer === 'C').length
    expect(run.results!.summary.correct).toBe(keysOnC)
    expect(run.results!.config).toMatchObject({ scoring: 'generate', shots: 5, promptFormat: 'chat', protocol: { name: 'generative', overrides: [] } })
    expect(run.output).toContain('protocol generative · prompt as chat turns (each example a user turn, its letter the reply)')
    expect(run.output).toContain('prompt chat (GGUF template)')
    expect(run.output).toMatch(/Accuracy {3}[\d.]+% \[[\d.]+, [\d.]+\] macro \(2 subjects/)
  }, 60_000)
})
