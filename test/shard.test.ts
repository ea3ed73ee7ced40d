// Sharding: `--shard=i/n --reporter=blob` then `--merge-reports` with our
// reporter gives the same results, gate and exit code as one unsharded run.
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { QuestionRecord, ResultsFile } from '../src/run/results.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import type { VitestRun } from './helpers/run-vitest.js'
import { runVitest } from './helpers/run-vitest.js'

const SUBJECTS = ['evals/astronomy', 'evals/business_ethics']
const REPORTER = '--reporter=./reporters/mmlu-reporter.ts'

/** What must not depend on how the run was split. */
function totals(r: ResultsFile) {
  const { questions, correct, wrong, invalid, errors, subjects, microAccuracy, macroAccuracy, microCi95, categories } = r.summary
  return {
    summary: { questions, correct, wrong, invalid, errors, subjects, microAccuracy, macroAccuracy, microCi95 },
    categories: categories.map(({ category, correct, total }) => ({ category, correct, total })),
    subjects: r.subjects.map(({ subject, category, correct, total, wrong, invalid, errors, accuracy, ci95 }) => ({ subject, category, correct, total, wrong, invalid, errors, accuracy, ci95 })),
    records: r.records
      .map(({ subject, index, expected, given, outcome, shots }: QuestionRecord) => ({ subject, index, expected, given, outcome, shots }))
      .sort((a, b) => a.subject.localeCompare(b.subject) || a.index - b.index),
    inputs: r.config.inputs,
    shots: r.config.shots,
    model: r.config.model,
  }
}

const gateLines = (run: VitestRun) => run.output.split('\n').filter((l) => /^(Thresholds|Gate) |^ {11}[✗✓] /.test(l))

describe('2-way shard + merge', () => {
  let env: Record<string, string>
  let unsharded: VitestRun
  let blobs: string

  beforeAll(async () => {
    const thresholds = path.join(await mkdtemp(path.join(os.tmpdir(), 'mmlu-shard-')), 'thresholds.json')
    // Fixture answers: astronomy C A B D C A B D, business_ethics A B C D A B C D: always-C gets 2/8 on each.
    await writeFile(thresholds, JSON.stringify({ overall: 0.2, subjects: { astronomy: 0.3, business_ethics: 0.25 } }))
    // The instant always-C engine: sharding is the harness's, and it answers as the fixed-C GGUF does.
    env = { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ENGINE_MODULE: 'fixtures/engines/always-c.ts', MMLU_ALLOW_PARTIAL: '1', MMLU_THRESHOLDS: thresholds }
    blobs = await mkdtemp(path.join(os.tmpdir(), 'mmlu-blobs-'))
    unsharded = await runVitest(SUBJECTS, { env })
    for (const i of [1, 2]) {
      // Our reporter beside the blob one: it sets the shard's exit code (wrong answers are not failures) and skips the gate.
      const shard = await runVitest(SUBJECTS, { env, args: [`--shard=${i}/2`, '--reporter=blob', `--outputFile.blob=${path.join(blobs, `blob-${i}.json`)}`, REPORTER] })
      expect(shard.code, shard.output).toBe(0)
      expect(shard.output).toContain('Gate       not checked in a shard: it runs on --merge-reports, over every subject.')
      expect(shard.results!.subjects).toHaveLength(1)
    }
  })

  test('the merged report has the unsharded totals, records, fingerprints, gate verdict and exit code', async () => {
    expect(await readdir(blobs)).toEqual(['blob-1.json', 'blob-2.json'])
    expect(unsharded.code, unsharded.output).toBe(1)
    expect(unsharded.output).toContain('✗ astronomy  25.0% [7.1, 59.1] (2/8) is below its threshold 30.0%')

    const merged = await runVitest([], { env, args: [`--merge-reports=${blobs}`, REPORTER] })
    expect(merged.code, merged.output).toBe(1)
    expect(totals(merged.results!)).toEqual(totals(unsharded.results!))
    expect(merged.results!.summary).toMatchObject({ questions: 16, correct: 4, errors: 0 })
    expect(Object.keys(merged.results!.config.inputs!)).toEqual(['astronomy', 'business_ethics'])
    expect(gateLines(merged)).toEqual(gateLines(unsharded))
    expect(gateLines(merged)).toHaveLength(3)
    // The wall time of a merge is its questions' span, not the milliseconds the replay took.
    expect(merged.results!.summary.wallMs).toBeGreaterThan(Math.max(...merged.results!.records.map((r) => r.latencyMs)))
    expect(merged.results!.status).toBe(unsharded.results!.status)
  })

  test('merged without a gate: exit 0 although Vitest counts the wrong answers as failed tests; JUnit keeps the annotations', async () => {
    const { MMLU_THRESHOLDS: _, ...noGate } = env
    const junit = path.join(blobs, '..', `${path.basename(blobs)}-junit.xml`)
    const merged = await runVitest([], { env: noGate, args: [`--merge-reports=${blobs}`, REPORTER, '--reporter=junit', `--outputFile.junit=${junit}`] })
    expect(merged.code, merged.output).toBe(0)
    expect(merged.output).not.toContain('Gate ')
    expect(merged.results!.summary).toMatchObject({ questions: 16, correct: 4, wrong: 12 })
    // onTestCaseAnnotate is not replayed in a merge, but the annotations travel in the blobs.
    const cases = (await readFile(junit, 'utf8')).split('<testcase ').slice(1)
    expect(cases).toHaveLength(16)
    expect(cases.filter((c) => /<property name="answer" value="given C, expected [ABCD]/.test(c))).toHaveLength(16)
  })
})
