// A run of any size without a model: `n` asks spread over a few subjects,
// answered by a rule on the index (every 3rd wrong, every 97th invalid, the
// rest right), with optional trials. For the page past its paging threshold
// (test/question-pages.test.ts, test/browser-question-pages.test.ts) and the
// page sizes in docs/performance.md.
import type { Letter } from '../../src/dataset/question.js'
import type { QuestionRecord, ResultsFile, RunConfig } from '../../src/run/results.js'
import { RESULTS_SCHEMA_VERSION } from '../../src/run/results.js'
import { summarizeRun, summarizeSubject } from '../../src/run/summary.js'

const LETTERS: Letter[] = ['A', 'B', 'C', 'D']
export const SYNTHETIC_SUBJECTS = ['astronomy', 'business_ethics', 'virology'] as const

/** The rule the records follow, for a test to count by on its own. */
export function syntheticOutcome(i: number): 'correct' | 'wrong' | 'invalid' {
  return i % 97 === 0 ? 'invalid' : i % 3 === 0 ? 'wrong' : 'correct'
}

export function syntheticRecords(n: number, trials = 1): QuestionRecord[] {
  const perSubject = Math.ceil(n / trials / SYNTHETIC_SUBJECTS.length)
  const records: QuestionRecord[] = []
  const t0 = 1_700_000_000_000
  for (let i = 0; i < n; i++) {
    const question = Math.floor(i / trials)
    const subject = SYNTHETIC_SUBJECTS[Math.floor(question / perSubject)]!
    const index = question % perSubject
    const expected = LETTERS[index % 4]!
    const outcome = syntheticOutcome(i)
    const given = outcome === 'invalid' ? null : outcome === 'wrong' ? LETTERS[(index + 1) % 4]! : expected
    records.push({
      subject,
      index,
      ...(trials > 1 ? { trial: (i % trials) + 1 } : {}),
      expected,
      given,
      outcome,
      ...(given ? { probabilities: Object.fromEntries(LETTERS.map((l) => [l, l === given ? 0.7 : 0.1])) as Record<Letter, number> } : {}),
      text: given ? ` ${given}` : 'no idea',
      shots: 5,
      promptTokens: 400,
      evaluatedTokens: 40,
      completionTokens: 0,
      startedAt: t0 + i * 10,
      latencyMs: 5 + (i % 17),
    })
  }
  return records
}

export function syntheticRun(n: number, opts: { trials?: number; createdAt?: string } = {}): ResultsFile {
  const records = syntheticRecords(n, opts.trials)
  const subjects = SYNTHETIC_SUBJECTS.map((s) =>
    summarizeSubject(
      s,
      records.filter((r) => r.subject === s),
      n * 10,
    ),
  )
  const config = {
    model: 'synthetic.gguf',
    engine: 'llama.cpp',
    scoring: 'logprob',
    shots: 5,
    concurrency: 1,
    vitest: { fileParallelism: false, maxWorkers: 1, workersUsed: 1 },
    dataDir: '/data',
    limit: undefined,
  } as RunConfig
  return {
    schema: RESULTS_SCHEMA_VERSION,
    createdAt: opts.createdAt ?? '2026-01-01T00:00:00.000Z',
    status: 'passed',
    config,
    provenance: [{ engine: 'llama.cpp', model: 'synthetic.gguf', source: '/m.gguf', reason: 'test', details: {} }],
    summary: summarizeRun(subjects, records, n * 10),
    subjects,
    records,
  }
}
