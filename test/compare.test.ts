// Runs compared side by side (src/analysis/compare.ts and its renderers):
// always-A against always-D on the real astronomy split, where every figure is
// countable from the CSV; refusals and warnings as the gate decides them; the
// flipped questions' text read back from the data folder, only when its
// fingerprint is the run's.
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { ComparedRun, RunComparison } from '../src/analysis/compare.js'
import { compareRuns, runLabels } from '../src/analysis/compare.js'
import { analyzeRun } from '../src/analysis/run.js'
import { lookUpQuestions } from '../src/dataset/lookup.js'
import { loadSubject } from '../src/dataset/load.js'
import { loadTopic } from '../src/dataset/topic.js'
import { subjectInputs } from '../src/prompt/inputs.js'
import { rotateQuestion } from '../src/prompt/variants.js'
import type { Question } from '../src/dataset/question.js'
import { wilson } from '../src/base/stats.js'
import { renderCompareHtml, renderCompareMarkdown, renderCompareTerminal } from '../reporters/render/compare.js'
import { flippedQuestionTexts } from '../scripts/compare.js'
import { FIXTURE_DATA_DIR, HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import type { LoadedSubject } from './helpers/fixed-answers.js'
import { answerAll, fixedLetter, loadWithInputs, resultsOf } from './helpers/fixed-answers.js'
import { exactMcNemar } from './helpers/mcnemar-reference.js'

function run(label: string, results: ComparedRun['results']): ComparedRun {
  return { label, file: `${label}.json`, results: { ...results, analysis: analyzeRun(results.records) } }
}

describe.skipIf(!HAS_REAL_DATA)('always-A vs always-D on the real astronomy split', () => {
  let astronomy: LoadedSubject
  let c: RunComparison
  beforeAll(async () => {
    astronomy = await loadWithInputs(REAL_DATA_DIR, 'astronomy')
    const a = resultsOf('fixed-A.gguf', [astronomy], answerAll(astronomy.test, fixedLetter('A')), REAL_DATA_DIR)
    const d = resultsOf('fixed-D.gguf', [astronomy], answerAll(astronomy.test, fixedLetter('D')), REAL_DATA_DIR)
    c = compareRuns([run('fixed-A.gguf', a), run('fixed-D.gguf', d)])
  })

  test('flips: the A keys go right→wrong, the D keys wrong→right; p is the exact binomial tail', () => {
    const keys = (l: string) => astronomy.test.filter((q) => q.answer === l).length
    expect([keys('A'), keys('D')]).toEqual([27, 51])
    const pair = c.pairs[0]!
    expect(pair.kind).toBe('compared')
    if (pair.kind !== 'compared') return
    expect(pair.warnings).toEqual([])
    const s = pair.subjects[0]!
    expect(s).toMatchObject({ name: 'astronomy', n: 152, rightToWrong: 27, wrongToRight: 51, agreed: 0, agreement: 0 })
    expect(s.reference).toEqual({ correct: 27, accuracy: 27 / 152, ci95: wilson(27, 152) })
    expect(s.other).toEqual({ correct: 51, accuracy: 51 / 152, ci95: wilson(51, 152) })
    expect(s.difference).toBeCloseTo(24 / 152, 14)
    expect(s.pValue).toBeCloseTo(exactMcNemar(27, 51), 12)
    expect(s.pValue).toBeCloseTo(0.0087717, 7)
    // One subject: Holm changes nothing; its category (STEM) and the whole are the same questions.
    expect(s.adjustedP).toBe(s.pValue)
    expect(pair.categories).toEqual([{ ...s, name: 'stem' }])
    expect(pair.overall).toEqual({ ...s, name: 'overall' })
    expect(pair.flips.filter((f) => f.direction === 'right→wrong').map((f) => f.index)).toEqual(astronomy.test.filter((q) => q.answer === 'A').map((q) => q.index))
    expect(pair.flips.every((f) => f.before === 'A' && f.after === 'D')).toBe(true)
  })

  test('the flipped questions carry their text from the data folder the runs recorded', async () => {
    const texts = await flippedQuestionTexts(c, undefined)
    const found = texts.get('astronomy')!
    expect('questions' in found && found.questions).toEqual(astronomy.test)
    const first = (c.pairs[0] as Extract<RunComparison['pairs'][0], { kind: 'compared' }>).flips[0]!
    const q = astronomy.test[first.index] as Question
    const terminal = renderCompareTerminal(c, texts, 3)
    expect(terminal).toContain(`astronomy #${first.index} · key A (${q.choices[0]!.replace(/\s+/g, ' ').trim().slice(0, 59)}`)
    expect(terminal).toMatch(/^astronomy\s+152\s+17\.8% \[12\.5, 24\.6\]\s+33\.6% \[26\.5, 41\.4\]\s+\+15\.8\s+27\s+51\s+0\.00877\s+0\.00877 \*\s+0\.0%$/m)
    expect(terminal).toContain('Flipped    27 right→wrong, 51 wrong→right · first 3 here, all in compare.md')
    const md = renderCompareMarkdown(c, texts)
    // Every flip, with its question's text.
    expect(md.match(/^- 🔻 /gm)).toHaveLength(27)
    expect(md.match(/^- 🔺 /gm)).toHaveLength(51)
    expect(md).toContain(q.question.replace(/\s+/g, ' ').trim().slice(0, 100).replace(/\|/g, '\\|'))
    const html = await renderCompareHtml(c, texts)
    expect(html.match(/<tr class="worse">/g)).toHaveLength(27)
    expect(html).toContain('id="chart-compare"')
    expect(html).toContain('id="chart-compare-reliability"')
    expect(html).toContain('id="chart-compare-letters"')
  })
})

describe.skipIf(!HAS_REAL_DATA)('always-A vs always-D over three categories: each category pooled over its subjects, Holm-adjusted across the categories', () => {
  test('the p-values, raw and adjusted, computed here from the keys in the CSVs', async () => {
    const names = ['astronomy', 'anatomy', 'world_religions', 'high_school_geography']
    const loaded = await Promise.all(names.map((n) => loadWithInputs(REAL_DATA_DIR, n)))
    const all = loaded.flatMap((l) => l.test)
    const a = resultsOf('fixed-A.gguf', loaded, answerAll(all, fixedLetter('A')), REAL_DATA_DIR)
    const d = resultsOf('fixed-D.gguf', loaded, answerAll(all, fixedLetter('D')), REAL_DATA_DIR)
    const pair = compareRuns([run('fixed-A.gguf', a), run('fixed-D.gguf', d)]).pairs[0]!
    expect(pair.kind).toBe('compared')
    if (pair.kind !== 'compared') return
    // Always-A is right exactly on the A keys (right→wrong), always-D on the D keys (wrong→right).
    const keys = (subjects: string[], letter: string) => loaded.filter((l) => subjects.includes(l.subject)).flatMap((l) => l.test).filter((q) => q.answer === letter).length
    const categories: [string, string[]][] = [
      ['stem', ['astronomy', 'anatomy']],
      ['humanities', ['world_religions']],
      ['social_sciences', ['high_school_geography']],
    ]
    const raw = categories.map(([, subjects]) => exactMcNemar(keys(subjects, 'A'), keys(subjects, 'D')))
    // Holm by hand: the i-th smallest of m p-values times (m − i), running maximum, at most 1.
    const order = [0, 1, 2].sort((i, j) => raw[i]! - raw[j]!)
    const holm: number[] = []
    let running = 0
    order.forEach((i, rank) => {
      running = Math.max(running, Math.min(1, (3 - rank) * raw[i]!))
      holm[i] = running
    })
    expect(pair.categories.map((c) => [c.name, c.rightToWrong, c.wrongToRight])).toEqual(categories.map(([name, subjects]) => [name, keys(subjects, 'A'), keys(subjects, 'D')]))
    pair.categories.forEach((c, i) => {
      expect(c.pValue, c.name).toBeCloseTo(raw[i]!, 12)
      expect(c.adjustedP, c.name).toBeCloseTo(holm[i]!, 12)
    })
    // The adjustment matters here: at least one category's adjusted p is not its raw p.
    expect(holm.some((h, i) => Math.abs(h - raw[i]!) > 1e-6)).toBe(true)
    // And across the four subjects, each subject's own McNemar, Holm over four.
    const subjectRaw = names.map((n) => exactMcNemar(keys([n], 'A'), keys([n], 'D')))
    const sorted = subjectRaw.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0])
    const subjectHolm: number[] = []
    running = 0
    sorted.forEach(([p, i], rank) => {
      running = Math.max(running, Math.min(1, (4 - rank) * p))
      subjectHolm[i] = running
    })
    expect(pair.subjects.map((s) => s.name)).toEqual(names)
    pair.subjects.forEach((s, i) => {
      expect(s.pValue, s.name).toBeCloseTo(subjectRaw[i]!, 12)
      expect(s.adjustedP, s.name).toBeCloseTo(subjectHolm[i]!, 12)
    })
  })
})

describe('refusals and warnings, as the gate decides them', () => {
  let astronomy: LoadedSubject
  beforeAll(async () => {
    astronomy = await loadWithInputs(FIXTURE_DATA_DIR, 'astronomy')
  })
  const withRecords = (model: string, loaded: LoadedSubject, shots = 0) => resultsOf(model, [loaded], answerAll(loaded.test, fixedLetter('B'), shots), FIXTURE_DATA_DIR, { shots })

  test('different data or prompts: refused with the gate\'s reasons', () => {
    const other = { ...astronomy, inputs: { ...astronomy.inputs, dataFingerprint: 'sha256:feedface0000', promptHash: 'sha256:0123456789ab' } }
    const c = compareRuns([run('a', withRecords('a', astronomy)), run('b', withRecords('b', other))])
    expect(c.pairs[0]).toMatchObject({ kind: 'refused' })
    const reasons = (c.pairs[0] as { reasons: string[] }).reasons
    expect(reasons[0]).toMatch(/^astronomy: different prompts \(prompt template or few-shot examples; hash /)
    expect(reasons[1]).toMatch(/^astronomy: different test questions \(data fingerprint /)
    expect(renderCompareTerminal(c, undefined)).toContain('Refused    b cannot be compared with a question by question:')
  })

  test('different shots: compared, with a warning line; a different scoring too', async () => {
    const five = await loadWithInputs(FIXTURE_DATA_DIR, 'astronomy', 5)
    const b = { ...withRecords('b', five, 5), config: { ...withRecords('b', five, 5).config, scoring: 'generate' as const } }
    const c = compareRuns([run('a', withRecords('a', astronomy)), run('b', b)])
    const pair = c.pairs[0]!
    expect(pair.kind).toBe('compared')
    expect(pair.kind === 'compared' && pair.warnings).toEqual([
      'astronomy: different shots (baseline 0-shot, this run 5-shot): compared anyway; the few-shot prompts differ, and their template is not checked across different shots',
      'b was scored by generate, the reference by logprob: the same model can score differently under the two',
    ])
    expect(renderCompareTerminal(c, undefined)).toContain('Warning    astronomy: different shots (baseline 0-shot, this run 5-shot)')
  })

  test('a rotated run against an unrotated one: compared on its unrotated asks, with a warning line (issue 14 part 4)', async () => {
    const { dev, test: questions } = await loadSubject(FIXTURE_DATA_DIR, 'astronomy', { allowPartial: true })
    // Always-B, every question under its four rotations: rotation 0 asks the options in the file's order.
    const rotated = questions.flatMap((q) =>
      [0, 1, 2, 3].map((r) => ({ ...answerAll([rotateQuestion(q, r)], fixedLetter('B'))[0]!, rotation: r })),
    )
    const spun: LoadedSubject = { subject: 'astronomy', test: questions, inputs: subjectInputs('astronomy', dev, questions, 0, undefined, { rotate: true }) }
    const c = compareRuns([run('plain', withRecords('plain', astronomy)), run('rotated', resultsOf('rotated', [spun], rotated, FIXTURE_DATA_DIR))])
    const pair = c.pairs[0]!
    expect(pair.kind).toBe('compared')
    if (pair.kind !== 'compared') return
    expect(pair.warnings).toEqual(['rotated rotates the options (MMLU_ROTATE=on): only its unrotated asks (rotation 0, the options in the file\'s order) are compared; its other rotations are not'])
    // Rotation 0 is the plain run's prompt: the same always-B answers, no flip, full agreement.
    expect(pair.overall).toMatchObject({ n: 8, rightToWrong: 0, wrongToRight: 0, agreement: 1 })
    // Prompts of another template are still refused, rotated or not.
    const other = { ...spun, inputs: { ...spun.inputs, unrotatedPromptHash: 'sha256:0123456789ab' } }
    expect(compareRuns([run('plain', withRecords('plain', astronomy)), run('rotated', resultsOf('rotated', [other], rotated, FIXTURE_DATA_DIR))]).pairs[0]!.kind).toBe('refused')
  })

  test('three runs: each against the first; labels tell runs of one model apart', () => {
    const a = withRecords('m.gguf', astronomy)
    const c = compareRuns([run('x', a), run('y', a), run('z', a)])
    expect(c.pairs.map((p) => [p.kind, p.run])).toEqual([
      ['compared', 1],
      ['compared', 2],
    ])
    expect(c.pairs[0]!.kind === 'compared' && c.pairs[0]!.overall).toMatchObject({ rightToWrong: 0, wrongToRight: 0, pValue: 1, agreement: 1 })
    expect(runLabels([{ results: a }, { results: { ...a, createdAt: '2026-02-01T10:00:00.000Z' } }, { results: { ...a, config: { ...a.config, model: 'n.gguf' } } }])).toEqual([
      'm.gguf (2026-01-01 00:00:00)',
      'm.gguf (2026-02-01 10:00:00)',
      'n.gguf',
    ])
    // Issue 22: two runs of one model are labelled by what differs, not by when they ran.
    const engine = a.provenance[0]!
    const on = (details: Record<string, string>, extra: object = {}) => [{ ...engine, ...extra, details: { ...engine.details, ...details } }]
    const five = { ...a, config: { ...a.config, shots: 5 } }
    expect(runLabels([{ results: five }, { results: { ...a, createdAt: '2026-02-01T10:00:00.000Z' } }])).toEqual(['m.gguf (5-shot)', 'm.gguf (0-shot)'])
    expect(runLabels([{ results: { ...a, provenance: on({ quantization: 'Q8_0' }) } }, { results: { ...a, provenance: on({ quantization: 'Q4_K_M' }) } }])).toEqual(['m.gguf (Q8_0)', 'm.gguf (Q4_K_M)'])
    expect(runLabels([{ results: { ...a, provenance: on({}, { server: 'http://a:11434' }) } }, { results: { ...a, provenance: on({}, { server: 'http://b:11434' }) } }])).toEqual([
      'm.gguf (http://a:11434)',
      'm.gguf (http://b:11434)',
    ])
    expect(runLabels([{ results: five }, { results: { ...a, config: { ...a.config, simulated: true } } }])).toEqual(['m.gguf (5-shot)', 'm.gguf (0-shot, SIMULATED)'])
  })
})

describe('question text lookup', () => {
  test('only from a data folder whose fingerprint is the run\'s; otherwise the reason', async () => {
    const astronomy = await loadWithInputs(FIXTURE_DATA_DIR, 'astronomy')
    const ok = await lookUpQuestions(FIXTURE_DATA_DIR, 'astronomy', astronomy.inputs)
    expect('questions' in ok && ok.questions.map((q) => q.question)).toEqual(astronomy.test.map((q) => q.question))
    // A copy with one answer changed: same file, different content.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-lookup-'))
    await cp(FIXTURE_DATA_DIR, dir, { recursive: true })
    const file = path.join(dir, 'test', 'astronomy_test.csv')
    await writeFile(file, (await readFile(file, 'utf8')).replace(/,2\r?\n/, ',3\n'))
    const changed = await lookUpQuestions(dir, 'astronomy', astronomy.inputs)
    expect('reason' in changed && changed.reason).toMatch(/no longer holds the astronomy questions the run asked \(fingerprint \w{12}, the run's \w{12}\)/)
    const gone = await lookUpQuestions(path.join(dir, 'nowhere'), 'astronomy', astronomy.inputs)
    expect('reason' in gone && gone.reason).toMatch(/does not exist here/)
  })

  test('a question set of your own is read from the test file its inputs name', async () => {
    const spec = { name: 'kitchen_science', test: 'examples/kitchen_science/test.csv' }
    const topic = await loadTopic(spec, process.cwd())
    const file = topic.files[0]!
    const found = await lookUpQuestions(undefined, 'kitchen_science', { dataFingerprint: file.fingerprint, files: [file] })
    expect('questions' in found && found.questions.map((q) => q.question)).toEqual(topic.test.map((q) => q.question))
    const stale = await lookUpQuestions(undefined, 'kitchen_science', { dataFingerprint: 'sha256:0', files: [{ ...file, fingerprint: 'sha256:000000000000000' }] })
    expect('reason' in stale && stale.reason).toMatch(/^examples\/kitchen_science\/test\.csv no longer holds the kitchen_science questions the run asked/)
  })
})
