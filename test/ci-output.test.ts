// CI outputs of one spawned run: the Markdown job summary ($GITHUB_STEP_SUMMARY),
// Vitest's JUnit XML with our annotations as properties, and Vitest's
// github-actions reporter beside ours.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { loadSubject } from '../src/dataset/load.js'
import { subjectInputs } from '../src/prompt/inputs.js'
import type { Outcome, SubjectInputs } from '../src/run/results.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { fakeRun } from './helpers/gate-runs.js'
import type { VitestRun } from './helpers/run-vitest.js'
import { runVitest } from './helpers/run-vitest.js'

// The fixture's answers; an always-C model is right on #0 and #4 of astronomy, #2 and #6 of business_ethics.
const ANSWERS = { astronomy: 'CABDCABD', business_ethics: 'ABCDABCD' }

// The instant always-C engine: the outputs are the harness's, and it answers as the fixed-C GGUF does.
const MODEL = 'instant, always C (test)'

describe('CI outputs (always-C model on the fixtures, with thresholds and a baseline)', () => {
  let dir: string
  let run: VitestRun

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-ci-'))
    const inputs: Record<string, SubjectInputs> = {}
    for (const s of Object.keys(ANSWERS)) {
      const { dev, test } = await loadSubject(FIXTURE_DATA_DIR, s, { allowPartial: true })
      inputs[s] = subjectInputs(s, dev, test, 5)
    }
    // Baseline: every astronomy question right (6 of them are wrong now); business_ethics as now.
    const alwaysC = (answers: string): Outcome[] => [...answers].map((a) => (a === 'C' ? 'correct' : 'wrong'))
    const baseline = fakeRun({ astronomy: { outcomes: Array(8).fill('correct') }, business_ethics: { outcomes: alwaysC(ANSWERS.business_ethics) } }, { model: MODEL, inputs, answers: ANSWERS })
    await writeFile(path.join(dir, 'baseline.json'), JSON.stringify(baseline))
    await writeFile(path.join(dir, 'thresholds.json'), JSON.stringify({ overall: 0.2, subjects: { astronomy: 0.3, business_ethics: 0.25 } }))
    run = await runVitest(['evals/astronomy', 'evals/business_ethics'], {
      env: {
        MMLU_DATA_DIR: FIXTURE_DATA_DIR,
        MMLU_ENGINE_MODULE: 'fixtures/engines/always-c.ts',
        MMLU_ALLOW_PARTIAL: '1',
        MMLU_THRESHOLDS: path.join(dir, 'thresholds.json'),
        MMLU_BASELINE: path.join(dir, 'baseline.json'),
        GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md'),
      },
      args: ['--reporter=./reporters/mmlu-reporter.ts', '--reporter=junit', `--outputFile.junit=${path.join(dir, 'junit.xml')}`, '--reporter=github-actions'],
    })
  })

  test('the run fails on the gate (a breached threshold and an overall regression), not on errors', () => {
    expect(run.code, run.output).toBe(1)
    expect(run.results!.status).toBe('passed')
    expect(run.output).toContain('Exit code 1: the gate failed: 1 threshold breached (astronomy); regression against the baseline (overall).')
  })

  test('$GITHUB_STEP_SUMMARY gets the per-subject table, the gate verdicts and the flipped questions', async () => {
    const md = await readFile(path.join(dir, 'summary.md'), 'utf8')
    const ours = md.slice(md.indexOf(`## MMLU · ${MODEL}`))
    expect(ours).toContain(`## MMLU · ${MODEL} · **gate ❌ failed**`)
    const table = [
      '| subject | category | correct | accuracy | 95% CI | errors | threshold | vs baseline | note |',
      '|---|---|---:|---:|---|---:|---|---|---|',
      // 6 of 0 flips: p = 2/64; Holm across the 2 subjects makes it 0.0625, not significant alone.
      '| astronomy | STEM | 2/8 | 25.0% | [7.1, 59.1] | 0 | ❌ 30.0% | ✅ −6 / +0, p 0.0313 |  |',
      '| business_ethics | Other | 2/8 | 25.0% | [7.1, 59.1] | 0 | ✅ 25.0% | ✅ −0 / +0, p 1.00 |  |',
      '| *STEM* |  | 2/8 | 25.0% | [7.1, 59.1] |  |  |  |  |',
      '| *Other* |  | 2/8 | 25.0% | [7.1, 59.1] |  |  |  |  |',
      '| **all** |  | 4/16 | 25.0% | [10.2, 49.5] | 0 | ✅ 20.0% | ❌ −6 / +0, p 0.0313 |  |',
    ]
    expect(ours).toContain(table.join('\n'))
    expect(ours).toContain('> **Note:** all 16 answers are C: the model is not choosing between the options')
    expect(ours).toContain('- ❌ astronomy  25.0% [7.1, 59.1] (2/8) is below its threshold 30.0%')
    expect(ours).toContain('| **overall** | 16 | 62.5% | 25.0% | 6 | 0 | 0.0313 |  | ✗ regression: significant drop (p 0.0313 < α 0.05) |')
    expect(ours).toContain(['<summary>Flipped right→wrong (6)</summary>', '', '- astronomy #1 A→C', '- astronomy #2 B→C', '- astronomy #3 D→C'].join('\n'))
    expect(ours).not.toContain('Flipped wrong→right')
    expect(ours).toContain('**Gate failed:** 1 threshold breached (astronomy); regression against the baseline (overall).')
    // Vitest's github-actions reporter appends its own job summary to the same file.
    expect(md).toContain('## Vitest Test Report')
  })

  test('the JUnit file has one testcase per question, each with our answer annotation as a property', async () => {
    const xml = await readFile(path.join(dir, 'junit.xml'), 'utf8')
    const cases = xml.split('<testcase ').slice(1)
    expect(cases).toHaveLength(16)
    const seen = cases.map((c) => {
      const name = /^classname="evals\/(astronomy|business_ethics)\.eval\.ts" name="[^"]*? &gt; #(\d+) /.exec(c)
      const answer = /<property name="answer" value="given C, expected ([ABCD])/.exec(c)
      expect(name, c.slice(0, 300)).not.toBeNull()
      expect(answer, c.slice(0, 600)).not.toBeNull()
      const [subject, index] = [name![1] as keyof typeof ANSWERS, Number(name![2])]
      expect(answer![1]).toBe(ANSWERS[subject][index])
      expect(c.includes('<failure')).toBe(answer![1] !== 'C')
      return `${subject}#${index}`
    })
    expect(new Set(seen).size).toBe(16)
  })

  test("github-actions: wrong answers are not workflow errors (they are the measurement); nothing else failed", () => {
    expect(run.output).not.toMatch(/^::error/m)
  })
})
