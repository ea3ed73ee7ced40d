// Issue acceptance, end to end: spawned `vitest run` on the mmlu project with
// the embedded llama.cpp engine and GGUF models the project writes itself.
import { copyFile, cp, mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import { loadSubject } from '../src/dataset/load.js'
import type { Letter } from '../src/dataset/question.js'
import { SUBJECT_NAMES } from '../src/dataset/subjects.js'
import { FIXTURE_DATA_DIR, HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import type { VitestRun } from './helpers/run-vitest.js'
import { runVitest } from './helpers/run-vitest.js'

describe.skipIf(!HAS_REAL_DATA)('real MMLU data, fixed-answer model', () => {
  let alwaysC: string
  /** The always-C run on the real astronomy split (HF dialect). */
  let astronomy: Promise<VitestRun>
  beforeAll(async () => {
    alwaysC = await fixtureModelPath('fixed-C')
    astronomy = runVitest(['evals/astronomy'], { env: { MMLU_DATA_DIR: REAL_DATA_DIR, MMLU_MODEL: alwaysC } })
  })

  test('always-C on astronomy scores exactly 46/152; terminal and results agree; exit 0 despite 106 failed tests', async () => {
    const { test: questions } = await loadSubject(REAL_DATA_DIR, 'astronomy')
    const expectedCorrect = questions.filter((q) => q.answer === 'C').length
    expect(expectedCorrect).toBe(46)

    const run = await astronomy
    expect(run.code, run.output).toBe(0)
    // The file passes (✓): wrong answers are the measurement, not failures of the run.
    expect(run.output).toMatch(/^✓ astronomy {2}46\/152 correct {2}30\.3% \[23\.5, 38\.0\]/m)
    expect(run.output).toMatch(/Accuracy {3}30\.3% \[23\.5, 38\.0\] micro \(46\/152/)
    expect(run.output).toContain('46 correct · 106 wrong · 0 invalid (no letter) · 0 errors')
    // Wrong answers are not printed as failures with stack traces or diffs.
    expect(run.output).not.toMatch(/AssertionError|Expected|FAIL/)
    expect(run.output).toMatch(/engine llama\.cpp \(threads \d+/)
    expect(run.output).toMatch(/model fixed-C\.gguf sha256:[0-9a-f]{12}/)

    const results = run.results!
    expect(results.summary).toMatchObject({ questions: 152, correct: 46, wrong: 106, invalid: 0, errors: 0 })
    expect(results.subjects).toHaveLength(1)
    expect(results.subjects[0]).toMatchObject({ subject: 'astronomy', correct: 46, total: 152 })
    expect(results.records).toHaveLength(152)
    expect(results.records.every((r) => r.given === 'C' && r.shots === 5 && r.probabilities!.C! > 0.99)).toBe(true)
    expect(results.records.filter((r) => r.outcome === 'correct').map((r) => r.index)).toEqual(questions.filter((q) => q.answer === 'C').map((q) => q.index))
    expect(results.config).toMatchObject({ scoring: 'logprob', shots: 5, concurrency: 1, engine: 'llama.cpp' })
    expect(results.provenance[0]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(results.status).toBe('passed')
  })

  /** Each subject's count of questions whose answer is `letter`, from the data. */
  async function answersBy(letter: Letter, subjects: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>()
    for (const subject of subjects) counts.set(subject, (await loadSubject(REAL_DATA_DIR, subject)).test.filter((q) => q.answer === letter).length)
    return counts
  }
  const sum = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0)

  // The harness on every question (data, prompts, Vitest, reporter, results file) with an engine that
  // answers D at once: the engine is not what this tests, and llama.cpp is exercised on whole subjects above and below.
  test("all 57 subjects (14,042 questions): every subject's total equals its D answers in the test split", async () => {
    const expected = await answersBy('D', SUBJECT_NAMES)
    // No run history: copying 14,042 records once more is not what this checks (test/history.test.ts is).
    const run = await runVitest(['evals'], { env: { MMLU_DATA_DIR: REAL_DATA_DIR, MMLU_ENGINE_MODULE: 'fixtures/engines/always-d.ts', MMLU_KEEP_RUNS: '0' } })
    expect(run.code, run.output.slice(-3000)).toBe(0)
    expect(run.results!.summary).toMatchObject({ subjects: 57, questions: 14_042, correct: sum(expected), errors: 0 })
    expect(new Map(run.results!.subjects.map((s) => [s.subject, s.correct]))).toEqual(expected)
    expect(run.results!.records.every((r) => r.given === 'D' && r.shots === 5)).toBe(true)
    expect(run.output).toContain(`micro (${sum(expected)}/14042`)
    expect(run.output).toMatch(/Time {7}wall [\d.]+ s · [\d.]+ q\/s/)
  })

  test('the embedded engine on three whole subjects, 0-shot, 8 in flight per file: totals equal their D answers', async () => {
    const subjects = ['abstract_algebra', 'business_ethics', 'high_school_computer_science']
    const expected = await answersBy('D', subjects)
    const run = await runVitest(
      subjects.map((s) => `evals/${s}`),
      { env: { MMLU_DATA_DIR: REAL_DATA_DIR, MMLU_MODEL: await fixtureModelPath('fixed-D'), MMLU_SHOTS: '0', MMLU_CONCURRENCY: '8' } },
    )
    expect(run.code, run.output.slice(-3000)).toBe(0)
    expect(run.results!.summary).toMatchObject({ subjects: 3, questions: 300, correct: sum(expected), errors: 0 })
    expect(new Map(run.results!.subjects.map((s) => [s.subject, s.correct]))).toEqual(expected)
    expect(run.results!.config).toMatchObject({ engine: 'llama.cpp', shots: 0, concurrency: 8 })
  })
})

describe('fixture data', () => {
  test('log-prob scoring records the chosen letter probabilities and picks the argmax', async () => {
    const model = await fixtureModelPath('logits-1-3-2-0')
    const run = await runVitest(['evals/business_ethics'], { env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_MODEL: model, MMLU_ALLOW_PARTIAL: '1' } })
    expect(run.code, run.output).toBe(0)
    const z = Math.exp(1) + Math.exp(3) + Math.exp(2) + Math.exp(0)
    const expected = { A: Math.exp(1) / z, B: Math.exp(3) / z, C: Math.exp(2) / z, D: Math.exp(0) / z }
    const records = run.results!.records
    expect(records).toHaveLength(8)
    for (const r of records) {
      expect(r.given).toBe('B')
      for (const l of ['A', 'B', 'C', 'D'] as const) expect(Math.abs(r.probabilities![l]! - expected[l])).toBeLessThan(1e-3)
    }
    // business_ethics fixture answers: A B C D A B C D → B is right twice.
    expect(run.results!.summary.correct).toBe(2)
  })

  test('generate scoring: greedy text, the letter extracted from it, the raw text kept', async () => {
    const model = await fixtureModelPath('fixed-B')
    const run = await runVitest(['evals/astronomy'], {
      env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_MODEL: model, MMLU_ALLOW_PARTIAL: '1', MMLU_SCORING: 'generate', MMLU_MAX_TOKENS: '3' },
    })
    expect(run.code, run.output).toBe(0)
    const records = run.results!.records
    // astronomy fixture answers: C A B D C A B D → B is right twice.
    expect(run.results!.summary).toMatchObject({ questions: 8, correct: 2, invalid: 0 })
    for (const r of records) {
      expect(r).toMatchObject({ given: 'B', text: ' B B B', completionTokens: 3 })
      expect(r.probabilities).toBeUndefined()
    }
    expect(run.results!.config.scoring).toBe('generate')
  })

  test('a third-party GGUF runs through one subject with no errors', async () => {
    const run = await runVitest(['evals/astronomy'], {
      env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_MODEL: path.resolve('../shared/models/llama-2-tiny-random.gguf'), MMLU_ALLOW_PARTIAL: '1' },
    })
    expect(run.code, run.output).toBe(0)
    expect(run.results!.summary).toMatchObject({ questions: 8, errors: 0 })
    expect(run.results!.provenance[0]!.model).toBe('llama-2-tiny-random.gguf')
  })

  test('a malformed CSV is a clear error naming file and line; Vitest survives and exits 1', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-bad-'))
    await cp(FIXTURE_DATA_DIR, dir, { recursive: true })
    await copyFile('fixtures/mmlu/bad/answer_e.csv', path.join(dir, 'test', 'astronomy_test.csv'))
    // The instant always-A engine: the data's error is what is tested, not llama.cpp.
    const run = await runVitest(['evals/astronomy', 'evals/business_ethics'], { env: { MMLU_DATA_DIR: dir, MMLU_ENGINE_MODULE: 'fixtures/engines/always-a.ts', MMLU_ALLOW_PARTIAL: '1' } })
    expect(run.code).toBe(1)
    expect(run.output).toContain(`${path.join(dir, 'test', 'astronomy_test.csv')}:2:`)
    expect(run.output).toMatch(/answer.*"E"/)
    // The healthy subject still ran and was recorded: nothing answered is lost.
    expect(run.results!.records.filter((r) => r.subject === 'business_ethics')).toHaveLength(8)
    expect(run.results!.status).toBe('failed')
  })

  const corrupt = async (kind: string) => {
    const bad = path.join(await mkdtemp(path.join(os.tmpdir(), 'mmlu-gguf-')), 'bad.gguf')
    const { corruptGguf } = await import('./helpers/corrupt-gguf.js')
    await corruptGguf(kind, bad)
    return bad
  }

  // The one llama.cpp itself would abort the process on: through a whole run.
  test('a corrupt GGUF (missing llama.feed_forward_length) is a clear error; the process survives and exits 1', async () => {
    const bad = await corrupt('missing llama.feed_forward_length')
    const run = await runVitest(['evals/astronomy'], { env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_MODEL: bad, MMLU_ALLOW_PARTIAL: '1' } })
    expect(run.signal).toBeNull()
    expect(run.code).toBe(1)
    expect(run.output).toContain(bad)
    expect(run.output).toContain('lacks llama.feed_forward_length')
    expect(run.output).toMatch(/Fix: /)
  })

  // The same check before any load, in this process: the run above shows how its error is reported.
  test.each([
    ['truncated file', 'truncated'],
    ['not a GGUF', 'not a readable GGUF file'],
  ])('a corrupt GGUF (%s) is stopped by the same check with the file and a fix', async (kind, message) => {
    const bad = await corrupt(kind)
    const { checkGguf } = await import('../src/backends/gguf-check.js')
    const error = await checkGguf(bad).then(() => undefined, (e: Error) => e)
    expect(error?.name).toBe('EngineError')
    expect(error?.message).toContain(bad)
    expect(error?.message).toContain(message)
    expect(error?.message).toMatch(/Fix: /)
  })
})

describe.skipIf(!HAS_REAL_DATA)('prompts that do not fit the model context', () => {
  test('few-shot examples are dropped to fit; a question that alone is too long is an error, with a clear message', async () => {
    const small = await fixtureModelPath('fixed-C-ctx512')
    const run = await runVitest(['evals/professional_law'], { env: { MMLU_DATA_DIR: REAL_DATA_DIR, MMLU_MODEL: small, MMLU_LIMIT: '40' } })
    const records = run.results!.records
    expect(records).toHaveLength(40)
    const reduced = records.filter((r) => r.outcome !== 'error' && r.shots < 5)
    const errors = records.filter((r) => r.outcome === 'error')
    expect(reduced.length).toBeGreaterThan(0)
    expect(reduced.every((r) => r.promptTokens + 1 <= 512)).toBe(true)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors[0]!.error).toMatch(/the question alone is \d+ tokens, more than the model's context of 512/)
    expect(run.output).toMatch(/5-shot \(\d+ questions? with fewer, to fit the context\)/)
    expect(run.code).toBe(1)
  })
})

describe.skipIf(!HAS_REAL_DATA)('interruption', () => {
  test('SIGINT mid-run exits non-zero and keeps every answered question in the results file', async () => {
    const model = await fixtureModelPath('fixed-C')
    const run = await runVitest(['evals/astronomy'], {
      env: { MMLU_DATA_DIR: REAL_DATA_DIR, MMLU_MODEL: model, MMLU_PROGRESS_MS: '50' },
      // Ctrl-C once 20-99 of the 152 questions are answered, as the progress lines say.
      interruptWhen: /progress\s+([2-9]\d)\/152 questions/,
    })
    expect(run.code).not.toBe(0)
    expect(run.output).toMatch(/Interrupted: \d+ answered questions saved to /)
    // At least the 20 the progress line had reported; how many more the worker answered before
    // it stopped is the machine's speed: the count is checked against what the run reported saving.
    expect(run.results!.records.length).toBeGreaterThanOrEqual(20)
    const results = run.results!
    expect(results.status).toBe('interrupted')
    expect(results.records.length).toBe(Number(/Interrupted: (\d+)/.exec(run.output)![1]))
    // Every saved record is complete and scored the way the model answers.
    for (const r of results.records) expect(r).toMatchObject({ subject: 'astronomy', given: 'C', outcome: r.expected === 'C' ? 'correct' : 'wrong' })
  })
})
