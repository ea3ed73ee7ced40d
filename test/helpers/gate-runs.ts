// Test helper: results files built in memory for the gate's unit tests, with
// the project's own summaries, so a gate test states only what matters to it
// (which questions were right) and the rest is consistent.
import type { Letter } from '../../src/dataset/question.js'
import type { Outcome, QuestionRecord, ResultsFile, SubjectInputs } from '../../src/run/results.js'
import { RESULTS_SCHEMA_VERSION } from '../../src/run/results.js'
import { summarizeRun, summarizeSubject } from '../../src/run/summary.js'

const LETTERS: Letter[] = ['A', 'B', 'C', 'D']

/** Per subject: how many of the first questions were right, or each question's outcome in index order. */
export type SubjectSpec = { correct: number; total: number } | { outcomes: Outcome[] }

export interface FakeRunOptions {
  model?: string
  shots?: number
  /** Replaces the default inputs of these subjects (same for every run unless given). */
  inputs?: Record<string, Partial<SubjectInputs>>
  /** Answer letters per subject, in index order (default: A B C D repeating). */
  answers?: Record<string, string>
  /** Per-question shots, by `subject#index`. */
  questionShots?: Record<string, number>
  status?: string
}

export function defaultInputs(subject: string, shots = 5): SubjectInputs {
  return { shots, promptHash: `sha256:prompt-${subject}-${shots}`, dataFingerprint: `sha256:data-${subject}` }
}

export function record(subject: string, index: number, outcome: Outcome, shots = 5, expected = LETTERS[index % 4] as Letter): QuestionRecord {
  const wrong = LETTERS[(LETTERS.indexOf(expected) + 1) % 4] as Letter
  return {
    subject,
    index,
    expected,
    given: outcome === 'correct' ? expected : outcome === 'wrong' ? wrong : null,
    outcome,
    text: '',
    shots,
    promptTokens: 100,
    evaluatedTokens: 10,
    completionTokens: 0,
    startedAt: 1_000 + index,
    latencyMs: 1,
  }
}

export function fakeRun(spec: Record<string, SubjectSpec>, opts: FakeRunOptions = {}): ResultsFile {
  const shots = opts.shots ?? 5
  const records: QuestionRecord[] = []
  for (const [subject, s] of Object.entries(spec)) {
    const outcomes = 'outcomes' in s ? s.outcomes : Array.from({ length: s.total }, (_, i): Outcome => (i < s.correct ? 'correct' : 'wrong'))
    outcomes.forEach((o, i) => records.push(record(subject, i, o, opts.questionShots?.[`${subject}#${i}`] ?? shots, opts.answers?.[subject]?.[i] as Letter | undefined)))
  }
  const subjects = Object.keys(spec).map((subject) => summarizeSubject(subject, records.filter((r) => r.subject === subject), 10))
  const model = opts.model ?? 'fake.gguf'
  return {
    schema: RESULTS_SCHEMA_VERSION,
    createdAt: '2026-01-01T00:00:00.000Z',
    status: opts.status ?? 'passed',
    config: {
      model,
      engine: 'llama.cpp',
      scoring: 'logprob',
      shots,
      concurrency: 1,
      vitest: { fileParallelism: false, maxWorkers: 1, workersUsed: 1 },
      dataDir: undefined,
      limit: undefined,
      inputs: Object.fromEntries(Object.keys(spec).map((s) => [s, { ...defaultInputs(s, shots), ...opts.inputs?.[s] }])),
    },
    provenance: [{ engine: 'llama.cpp', model, source: `/models/${model}`, digest: 'sha256:0123', reason: 'test', details: {} }],
    summary: summarizeRun(subjects, records, 100),
    subjects,
    records,
  }
}
