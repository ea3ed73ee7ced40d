// Test helper: a run answered in-process by a model with fixed letter
// probabilities, on real or fixture questions. The records come from the
// product's own scoring (scoreAnswer), as a real run's would after the engine;
// only Vitest and the engine are skipped, so analysis and compare tests on the
// real splits take milliseconds.
import { loadSubject } from '../../src/dataset/load.js'
import type { Question } from '../../src/dataset/question.js'
import { subjectInputs } from '../../src/prompt/inputs.js'
import type { LetterProbabilities, QuestionRecord, ResultsFile, SubjectInputs } from '../../src/run/results.js'
import { RESULTS_SCHEMA_VERSION } from '../../src/run/results.js'
import { scoreAnswer } from '../../src/scoring/scoring.js'
import { summarizeRun, summarizeSubject } from '../../src/run/summary.js'

/** Probabilities that make `letter` the answer with (almost) all the mass, like the fixed-answer fixture models. */
export function fixedLetter(letter: 'A' | 'B' | 'C' | 'D'): LetterProbabilities {
  return { A: 1e-9, B: 1e-9, C: 1e-9, D: 1e-9, [letter]: 0.999 }
}

export function answerAll(questions: readonly Question[], probabilities: LetterProbabilities | ((q: Question) => LetterProbabilities), shots = 0): QuestionRecord[] {
  return questions.map((q, i) => {
    const p = typeof probabilities === 'function' ? probabilities(q) : probabilities
    const best = (['A', 'B', 'C', 'D'] as const).reduce((a, b) => ((p[b] ?? 0) > (p[a] ?? 0) ? b : a))
    return scoreAnswer(q, { probabilities: p, text: ` ${best}`, promptTokens: 100, evaluatedTokens: 100, completionTokens: 0, startedAt: 1_000 + i * 10, latencyMs: 10 }, shots)
  })
}

export interface LoadedSubject {
  subject: string
  test: Question[]
  inputs: SubjectInputs
}

export async function loadWithInputs(dataDir: string, subject: string, shots = 0): Promise<LoadedSubject> {
  const { dev, test } = await loadSubject(dataDir, subject, { allowPartial: true })
  return { subject, test, inputs: subjectInputs(subject, dev, test, shots) }
}

/** A results file as the reporter writes it (without the analysis: callers add it where they test it). */
export function resultsOf(model: string, loaded: readonly LoadedSubject[], records: readonly QuestionRecord[], dataDir: string, opts: { shots?: number; createdAt?: string } = {}): ResultsFile {
  const subjects = loaded.map((l) => summarizeSubject(l.subject, records.filter((r) => r.subject === l.subject), 100))
  return {
    schema: RESULTS_SCHEMA_VERSION,
    createdAt: opts.createdAt ?? '2026-01-01T00:00:00.000Z',
    status: 'passed',
    config: {
      model,
      engine: 'llama.cpp',
      scoring: 'logprob',
      shots: opts.shots ?? 0,
      concurrency: 1,
      vitest: { fileParallelism: false, maxWorkers: 1, workersUsed: 1 },
      dataDir,
      limit: undefined,
      inputs: Object.fromEntries(loaded.map((l) => [l.subject, l.inputs])),
    },
    provenance: [{ engine: 'llama.cpp', model, source: `/models/${model}`, reason: 'test', details: {} }],
    summary: summarizeRun(subjects, records, 1_000),
    subjects,
    records: [...records],
  }
}
