// Issue acceptance for the gates, end to end: spawned `vitest run` on the mmlu
// project with an always-C engine on self-made data, thresholds and crafted
// baselines, checking the exit code and what is printed.
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { loadSubject } from '../src/dataset/load.js'
import { subjectInputs } from '../src/prompt/inputs.js'
import type { Outcome, ResultsFile, SubjectInputs } from '../src/run/results.js'
import { wilson } from '../src/base/stats.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { fakeRun } from './helpers/gate-runs.js'
import { runVitest } from './helpers/run-vitest.js'

const SUBJECTS = ['evals/astronomy', 'evals/business_ethics']

/** 2 · Σ_{i ≤ min(b,c)} C(b+c, i) / 2^(b+c), with exact BigInt binomials: independent of src/base/stats.ts. */
function mcnemarBigInt(b: number, c: number): number {
  const n = BigInt(b + c)
  let sum = 0n
  let binom = 1n
  for (let i = 0n; i <= BigInt(Math.min(b, c)); i++) {
    sum += binom
    binom = (binom * (n - i)) / (i + 1n)
  }
  return Math.min(1, Number(2n * sum) / Number(2n ** n))
}

/**
 * A data folder: the fixture dev splits and business_ethics test split, and an
 * astronomy test split of 20 generated questions whose answers cycle A B C D
 * (an always-C model gets #2, #6, #10, #14, #18 right: 5/20).
 */
async function writeData(extraAstronomyRow?: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-gate-data-'))
  await mkdir(path.join(dir, 'dev'))
  await mkdir(path.join(dir, 'test'))
  for (const s of ['astronomy', 'business_ethics']) await copyFile(path.join(FIXTURE_DATA_DIR, 'dev', `${s}_dev.csv`), path.join(dir, 'dev', `${s}_dev.csv`))
  await copyFile(path.join(FIXTURE_DATA_DIR, 'test', 'business_ethics_test.csv'), path.join(dir, 'test', 'business_ethics_test.csv'))
  const rows = Array.from({ length: 20 }, (_, i) => `Generated question ${i}: which option is the marked one?,first ${i},second ${i},third ${i},fourth ${i},${i % 4}`)
  if (extraAstronomyRow) rows.push(extraAstronomyRow)
  await writeFile(path.join(dir, 'test', 'astronomy_test.csv'), ['question,choice0,choice1,choice2,choice3,answer', ...rows, ''].join('\n'))
  return dir
}

async function writeJson(value: unknown): Promise<string> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'mmlu-gate-')), 'file.json')
  await writeFile(file, JSON.stringify(value, null, 1))
  return file
}

/** What the always-C model answers: right exactly where the answer is C (index ≡ 2 mod 4 in both subjects here). */
const alwaysC = (n: number): Outcome[] => Array.from({ length: n }, (_, i) => (i % 4 === 2 ? 'correct' : 'wrong'))

/**
 * A baseline over the same data in which `b` astronomy questions were right
 * that the always-C model gets wrong, and `c` the reverse. Its prompt hashes and
 * data fingerprints are computed here from the data, so a run only pairs with
 * it if the suite recorded the same ones.
 */
async function craftBaseline(dataDir: string, b: number, c: number): Promise<ResultsFile> {
  const astronomy = alwaysC(20)
  const wrong = astronomy.flatMap((o, i) => (o === 'wrong' ? [i] : [])).slice(0, b)
  const right = astronomy.flatMap((o, i) => (o === 'correct' ? [i] : [])).slice(0, c)
  for (const i of wrong) astronomy[i] = 'correct'
  for (const i of right) astronomy[i] = 'wrong'
  const inputs: Record<string, SubjectInputs> = {}
  for (const s of ['astronomy', 'business_ethics']) {
    const { dev, test } = await loadSubject(dataDir, s, { allowPartial: true })
    inputs[s] = subjectInputs(s, dev, test, 5)
  }
  return fakeRun({ astronomy: { outcomes: astronomy }, business_ethics: { outcomes: alwaysC(8) } }, { model: 'fixed-C.gguf', inputs })
}

describe('regression gates, end to end (always-C model, generated data)', () => {
  let data: string
  let env: Record<string, string>

  beforeAll(async () => {
    data = await writeData()
    // The gates are the harness's: the instant always-C engine answers as the fixed-C GGUF does, without loading llama.cpp.
    env = { MMLU_DATA_DIR: data, MMLU_ENGINE_MODULE: 'fixtures/engines/always-c.ts', MMLU_ALLOW_PARTIAL: '1' }
  })

  test('thresholds met (one exactly at its minimum) and a baseline with 3 right→wrong vs 2 wrong→right flips → exit 0', async () => {
    const thresholds = await writeJson({ overall: 0.25, categories: { stem: 0.25 }, subjects: { astronomy: 0.25, business_ethics: 0.2 } })
    const baseline = await writeJson(await craftBaseline(data, 3, 2))
    const run = await runVitest(SUBJECTS, { env: { ...env, MMLU_THRESHOLDS: thresholds, MMLU_BASELINE: baseline } })
    expect(run.code, run.output).toBe(0)
    expect(run.results!.subjects.map((s) => [s.subject, s.correct, s.total])).toEqual([
      ['astronomy', 5, 20],
      ['business_ethics', 2, 8],
    ])
    expect(run.output).toContain(`Thresholds ${thresholds} · 4 checked: 4 met, 0 breached`)
    // 3 vs 2 flips: p = 1 exactly, not flagged (astronomy 6/20 right in the baseline, 5/20 now).
    expect(mcnemarBigInt(3, 2)).toBe(1)
    expect(run.output).toMatch(/astronomy +20 +30\.0% +25\.0% +3 +2 +1\.00 +✓ no significant change/)
    expect(run.output).toMatch(/overall +28 +28\.6% +25\.0% +3 +2 +1\.00 +✓ no significant change/)
    expect(run.output).toContain('Gate       ✓ passed')
  })

  // Both gates fail in one spawned run: each verdict is printed, and the exit line names both.
  test('a threshold above the accuracy and a baseline with 12 right→wrong vs 2 wrong→right flips → exit 1: the breach with subject, accuracy, CI and threshold; the regression with the exact McNemar p', async () => {
    const thresholds = await writeJson({ subjects: { astronomy: 0.3, business_ethics: 0.25 } })
    const baseline = await writeJson(await craftBaseline(data, 12, 2))
    const summary = path.join(path.dirname(baseline), 'summary.md')
    const run = await runVitest(SUBJECTS, { env: { ...env, MMLU_THRESHOLDS: thresholds, MMLU_BASELINE: baseline, GITHUB_STEP_SUMMARY: summary } })
    expect(run.code, run.output).toBe(1)
    const w = wilson(5, 20)
    expect(run.output).toContain(`✗ astronomy  25.0% [${(w.low * 100).toFixed(1)}, ${(w.high * 100).toFixed(1)}] (5/20) is below its threshold 30.0%`)
    expect(run.output).not.toMatch(/✗ business_ethics/)
    const p = mcnemarBigInt(12, 2)
    expect(p).toBe(212 / 16384)
    const shown = p.toPrecision(3)
    expect(shown).toBe('0.0129')
    // astronomy: 15/20 right in the baseline, 5/20 now; business_ethics unchanged, so Holm doubles p.
    expect(run.output).toMatch(new RegExp(`astronomy +20 +75\\.0% +25\\.0% +12 +2 +${shown} +✗ regression: significant drop \\(Holm-adjusted p ${(2 * p).toPrecision(3)} < α 0\\.05\\)`))
    expect(run.output).toMatch(new RegExp(`overall +28 +60\\.7% +25\\.0% +12 +2 +${shown} +✗ regression: significant drop \\(p ${shown} < α 0\\.05\\)`))
    expect(run.output).toContain('right→wrong (12): astronomy #0 A→C, #1 B→C, #3 D→C, #4 A→C, #5 B→C, #7 D→C, #8 A→C, #9 B→C, #11 D→C, #12 A→C, … 2 more')
    expect(run.output).toContain('wrong→right (2): astronomy #2 D→C, #6 D→C')
    expect(run.output).toContain('Exit code 1: the gate failed: 1 threshold breached (astronomy); regression against the baseline (astronomy, overall).')
    expect(run.results!.status).toBe('passed') // no errors: only the gate failed
    const markdown = await readFile(summary, 'utf8')
    expect(markdown).toContain(`| astronomy | 20 | 75.0% | 25.0% | 12 | 2 | ${shown} |`)
  })

  test('a bad thresholds file stops the run before the first question, naming file, line and fix', async () => {
    const thresholds = await writeJson({ subjects: { astronomyy: 0.3 } })
    const run = await runVitest(SUBJECTS, { env: { ...env, MMLU_THRESHOLDS: thresholds } })
    expect(run.code).toBe(1)
    // The project's own topic files (examples/kitchen_science) are named as the other names a threshold may use.
    expect(run.output).toContain(`✗ ${thresholds}:3: "astronomyy" is not an MMLU subject or a topic. Fix: use astronomy, or one of the names in src/dataset/subjects.ts or a topic file's name (kitchen_science).`)
    // One block, printed once: no Vitest banner, no stack, no summary table.
    expect(run.output.split('"astronomyy" is not an MMLU subject')).toHaveLength(2)
    expect(run.output).not.toMatch(/Serialized Error|Unhandled Error|Startup Error|GateConfigError|\n\s+at |astronomy +\d+\/\d+ correct/)
    expect(run.results).toBeUndefined()
  })

  test('an errored question → exit 1 even with every threshold met', async () => {
    // Far longer than the 512-token context of this model, even without examples.
    const erroring = await writeData(`${'Why '.repeat(900)}?,a,b,c,d,2`)
    const thresholds = await writeJson({ overall: 0, subjects: { astronomy: 0 } })
    const run = await runVitest(SUBJECTS, {
      // A context of 512 tokens: the instant engine that has one.
      env: { ...env, MMLU_ENGINE_MODULE: 'fixtures/engines/always-c-ctx512.ts', MMLU_DATA_DIR: erroring, MMLU_THRESHOLDS: thresholds },
      args: ['--reporter=./reporters/mmlu-reporter.ts', '--reporter=github-actions'],
    })
    expect(run.code, run.output).toBe(1)
    expect(run.results!.summary.errors).toBe(1)
    expect(run.output).toContain('Gate       ✓ passed')
    expect(run.output).toMatch(/Exit code 1: 1 error \(not wrong answers\) occurred/)
    // Vitest's github-actions reporter turns the error (not the wrong answers) into a workflow annotation.
    const annotations = run.output.split('\n').filter((l) => l.startsWith('::error '))
    expect(annotations).toHaveLength(1)
    expect(annotations[0]).toMatch(/^::error file=.*src\/suite\.ts,title=\[mmlu\] evals\/astronomy\.eval\.ts > astronomy > #20 Why Why.*::EngineError: astronomy #20: the question alone is \d+ tokens/)
  })
})
