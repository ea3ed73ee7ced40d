// Summaries from records (src/run/summary.ts): what is counted where, and what is
// timed. Every expected figure is computed here by hand from the records.
import { describe, expect, test } from 'vitest'
import type { Outcome, QuestionRecord } from '../src/base/record.js'
import { runNotes, summarizeRun, summarizeSubject } from '../src/run/summary.js'
import { wilson } from '../src/base/stats.js'

let n = 0
function rec(outcome: Outcome, extra: Partial<QuestionRecord> = {}): QuestionRecord {
  const expected = 'A'
  const given = outcome === 'correct' ? 'A' : outcome === 'wrong' ? 'B' : null
  return { subject: 'astronomy', index: n++, expected, given, outcome, text: '', shots: 5, promptTokens: 10, evaluatedTokens: 10, completionTokens: 1, startedAt: 1000 * n, latencyMs: 100, ...extra }
}

describe('timings come from fresh answers only (issue 17 item 2)', () => {
  // Two fresh answers of 100 ms starting at t = 0 and 400 ms; two cached ones with a slow
  // latency and an old start time from the run that answered them; one error.
  const records = [
    rec('correct', { startedAt: 0, latencyMs: 100 }),
    rec('wrong', { startedAt: 400, latencyMs: 100 }),
    rec('correct', { startedAt: -9_000_000, latencyMs: 5000, cached: true }),
    rec('wrong', { startedAt: -8_000_000, latencyMs: 7000, cached: true }),
    rec('error', { startedAt: 600, latencyMs: 0, error: 'boom' }),
  ]
  const s = summarizeSubject('astronomy', records, 900, { planned: 5 })

  test('latency and q/s of a subject ignore cached answers and errors', () => {
    expect(s.latencyMs).toEqual({ mean: 100, p50: 100, p95: 100 })
    // Wall: first fresh start (0) to last fresh end (500); 2 timed answers in 0.5 s.
    expect(s.wallMs).toBe(500)
    expect(s.questionsPerSecond).toBe(4)
    // The error is asked (not partial) but not answered: outside the accuracy's 4 (issue 25 item 6).
    expect(s).toMatchObject({ timed: 2, cached: 2, total: 4, correct: 2, errors: 1, status: 'complete' })
  })

  test('latency and q/s of the run ignore cached answers too', () => {
    const run = summarizeRun([s], records, 2000)
    expect(run.latencyMs.mean).toBe(100)
    expect(run.timed).toBe(2)
    expect(run.questionsPerSecond).toBe(1) // 2 fresh answers in 2 s
  })

  test('a subject whose every answer is cached has no timing at all, not zeros', () => {
    const cached = [rec('correct', { cached: true }), rec('wrong', { cached: true })]
    const all = summarizeSubject('astronomy', cached, 10)
    expect(all.timed).toBe(0)
    expect(all.questionsPerSecond).toBeNaN()
    expect(all.latencyMs.mean).toBeNaN()
    expect(summarizeRun([all], cached, 1000).questionsPerSecond).toBeNaN()
  })
})

describe('what is counted where', () => {
  test('not-asked questions are outside the accuracy, and make the subject partial', () => {
    const records = [rec('correct'), rec('wrong'), rec('not-asked', { error: 'server unreachable' }), rec('not-asked', { error: 'server unreachable' })]
    const s = summarizeSubject('astronomy', records, 0, { planned: 4 })
    expect(s).toMatchObject({ total: 2, correct: 1, notAsked: 2, accuracy: 0.5, status: 'partial' })
    const run = summarizeRun([s], records, 100)
    expect(run).toMatchObject({ questions: 2, notAsked: 2, partialSubjects: ['astronomy'] })
  })

  test('fewer records than the file holds: partial; none: not run', () => {
    expect(summarizeSubject('astronomy', [rec('correct')], 0, { planned: 3 }).status).toBe('partial')
    expect(summarizeSubject('astronomy', [], 0, { planned: 3 }).status).toBe('not-run')
    expect(summarizeSubject('astronomy', [rec('correct')], 0, { planned: 1 }).status).toBe('complete')
  })

  test('answers with fewer shots than asked are counted; errors are not among them', () => {
    const s = summarizeSubject('astronomy', [rec('correct', { shots: 3 }), rec('wrong', { shots: 5 }), rec('error', { shots: 0 })], 0, { shots: 5 })
    expect(s.reducedShots).toBe(1)
  })

  test('the macro average has an interval; cache-ignored counts add up across subjects', () => {
    const a = summarizeSubject('astronomy', [rec('correct'), rec('wrong')], 0, { cacheIgnored: { malformed: 2 } })
    const b = summarizeSubject('anatomy', [rec('correct', { subject: 'anatomy' })], 0, { cacheIgnored: { malformed: 1, stale: 1 } })
    const run = summarizeRun([a, b], [], 10)
    expect(run.macroAccuracy).toBe(0.75)
    expect(run.macroCi95.low).toBeLessThan(0.75)
    expect(run.macroCi95.high).toBe(1)
    expect(run.cacheIgnored).toEqual({ malformed: 3, stale: 1 })
  })
})

describe('notes', () => {
  test('one letter for every answer', () => {
    const records = Array.from({ length: 10 }, (_, i) => rec(i < 3 ? 'correct' : 'wrong', { given: 'C', expected: i < 3 ? 'C' : 'A' }))
    expect(runNotes(records, 10, 3, wilson(3, 10))[0]).toBe('all 10 answers are C: the model is not choosing between the options')
  })

  test('an interval that holds chance', () => {
    const varied = (['A', 'B', 'C', 'D'] as const).map((given) => rec('wrong', { given }))
    expect(runNotes(varied, 40, 11, wilson(11, 40))).toEqual([`accuracy 27.5% [${(wilson(11, 40).low * 100).toFixed(1)}, ${(wilson(11, 40).high * 100).toFixed(1)}] includes chance (25%): this run cannot tell the model from guessing`])
  })

  test('none for a model that chooses and beats chance', () => {
    const varied = (['A', 'B', 'C', 'D'] as const).map((given) => rec('wrong', { given }))
    expect(runNotes(varied, 100, 60, wilson(60, 100))).toEqual([])
  })
})
