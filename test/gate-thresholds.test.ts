// The thresholds file: validation with file:line errors, per-model entries,
// and the check of a run's accuracies against the minimums.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { evaluateGate, loadGate } from '../src/gate/index.js'
import { GateConfigError } from '../src/base/file-errors.js'
import { checkThresholds, parseThresholds, thresholdsFor } from '../src/gate/thresholds.js'
import { readOptions } from '../src/config/options.js'
import { fakeRun } from './helpers/gate-runs.js'
import { renderGate } from '../reporters/render/gate.js'

const FILE = 'mmlu.thresholds.json'

function errorOf(text: string): GateConfigError {
  try {
    parseThresholds(text, FILE)
  } catch (e) {
    expect(e).toBeInstanceOf(GateConfigError)
    return e as GateConfigError
  }
  throw new Error('expected a GateConfigError')
}

describe('thresholds file', () => {
  test('a full file parses; a model entry overrides the defaults key by key', () => {
    const t = parseThresholds(
      JSON.stringify({
        $comment: 'minimums for CI',
        overall: 0.3,
        macro: 0.25,
        categories: { stem: 0.2 },
        subjects: { astronomy: 0.4, business_ethics: 0.35 },
        models: { 'llama3.2:1b': { overall: 0.45, subjects: { astronomy: 0.5 } }, 'sha256:abc': { macro: 0.9 } },
      }),
      FILE,
    )
    expect(t.defaults).toEqual({ overall: 0.3, macro: 0.25, categories: { stem: 0.2 }, subjects: { astronomy: 0.4, business_ethics: 0.35 } })
    expect(thresholdsFor(t, ['other.gguf'])).toEqual({ set: t.defaults })
    expect(thresholdsFor(t, ['llama3.2:1b'])).toEqual({
      model: 'llama3.2:1b',
      set: { overall: 0.45, macro: 0.25, categories: { stem: 0.2 }, subjects: { astronomy: 0.5, business_ethics: 0.35 } },
    })
    expect(thresholdsFor(t, ['x.gguf', 'sha256:abc']).model).toBe('sha256:abc')
  })

  test.each([
    ['{\n  "subjects": {\n    "astronmy": 0.4\n  }\n}', 3, /"astronmy" is not an MMLU subject\. Fix: use astronomy, or one of the names in src\/dataset\/subjects\.ts\./],
    ['{\n  "overall": 45\n}', 2, /overall is 45, outside 0-1 \(accuracies are fractions\)\. Fix: .*write 0\.45 for 45%/],
    ['{\n  "overall": "0.4"\n}', 2, /overall must be a number from 0 to 1, found "0\.4"/],
    ['{\n  "categories": {\n    "science": 0.3\n  }\n}', 3, /"science" is not a category\. Fix: use one of stem, humanities, social_sciences, other/],
    ['{\n  "overal": 0.3\n}', 2, /unknown key "overal"\. Fix: use overall, macro, categories, subjects, models/],
    ['{\n  "models": {\n    "m": {\n      "models": {}\n    }\n  }\n}', 4, /unknown key "models"\. Fix: use overall, macro, categories, subjects \(/],
    ['{\n  "overall": 0.3,\n}', 3, /not valid JSON/],
    ['[0.3]', undefined, /the file must hold a JSON object/],
  ])('%j is a clear error at line %s', (text, line, message) => {
    const e = errorOf(text)
    expect(e.message).toMatch(message)
    expect(e.line).toBe(line)
    expect(e.message.startsWith(line === undefined ? `${FILE}: ` : `${FILE}:${line}: `)).toBe(true)
  })

  test('the line points at the offending key inside its own section', () => {
    const text = '{\n  "subjects": { "astronomy": 0.4 },\n  "models": {\n    "m.gguf": {\n      "subjects": { "astronomy": 4 }\n    }\n  }\n}'
    expect(errorOf(text).line).toBe(5)
  })
})

test('the example thresholds file is valid', async () => {
  const t = parseThresholds(await readFile('examples/mmlu.thresholds.json', 'utf8'), 'examples/mmlu.thresholds.json')
  expect(t.defaults.overall).toBe(0.25)
  expect(thresholdsFor(t, ['llama3.2:1b']).set.subjects.astronomy).toBe(0.4)
})

describe('threshold check', () => {
  // astronomy 5/20 = 25%, business_ethics 6/8 = 75%: overall 11/28, macro 50%.
  const run = fakeRun({ astronomy: { correct: 5, total: 20 }, business_ethics: { correct: 6, total: 8 } })

  test('a minimum equal to the accuracy passes; below it is a breach with accuracy, CI and counts', () => {
    const t = parseThresholds(JSON.stringify({ overall: 0.4, macro: 0.5, categories: { stem: 0.25, other: 0.8 }, subjects: { astronomy: 0.25, business_ethics: 0.76, anatomy: 0.5 } }), FILE)
    const report = checkThresholds(t, run)
    const byName = Object.fromEntries(report.checks.map((c) => [`${c.scope}:${c.name}`, c]))
    expect(byName['subject:astronomy']).toMatchObject({ min: 0.25, accuracy: 0.25, correct: 5, total: 20, breached: false })
    expect(byName['subject:business_ethics']).toMatchObject({ min: 0.76, accuracy: 0.75, breached: true })
    expect(byName['subject:business_ethics']!.ci95!.low).toBeCloseTo(0.4093, 3) // Wilson 6/8
    expect(byName['category:stem']).toMatchObject({ breached: false })
    expect(byName['category:other']).toMatchObject({ accuracy: 0.75, breached: true })
    expect(byName['overall:overall']).toMatchObject({ correct: 11, total: 28, breached: true })
    expect(byName['macro:macro']).toMatchObject({ accuracy: 0.5, breached: false })
    expect(report.breaches.map((b) => b.name)).toEqual(['business_ethics', 'other', 'overall'])
    expect(report.notRun).toEqual(['anatomy'])
    expect(evaluateGate({ alpha: 0.05, thresholds: t }, run).reasons).toEqual(['3 thresholds breached (business_ethics, category other, overall)'])
  })

  test('the model entry is chosen by the run model name', () => {
    const t = parseThresholds(JSON.stringify({ overall: 0.1, models: { 'fake.gguf': { overall: 0.9 } } }), FILE)
    const report = checkThresholds(t, run)
    expect(report.model).toBe('fake.gguf')
    expect(report.breaches.map((b) => b.min)).toEqual([0.9])
  })

  // Issue 22 item 4: a models entry keyed `fake` (no `.gguf`) was silently not applied and the gate passed.
  test('models entries that match nothing in the run: listed with the run\'s model, and what applied is said', () => {
    const t = parseThresholds(JSON.stringify({ overall: 0.1, models: { fake: { overall: 0.9 }, 'other:7b': { overall: 0.8 } } }), FILE)
    const report = checkThresholds(t, run)
    expect(report.model).toBeUndefined()
    expect(report.unmatchedModels).toEqual(['fake', 'other:7b'])
    expect(report.runModel).toBe('fake.gguf')
    expect(report.breaches).toEqual([])
    const text = renderGate(evaluateGate({ alpha: 0.05, thresholds: t }, run), 0)
    expect(text).toContain(`Thresholds ${FILE} · applied: the top level only · 1 checked: 1 met, 0 breached`)
    expect(text).toContain('⚠ no models entry matches this run\'s model fake.gguf (sha256:0123): fake, other:7b not applied. Fix: key the entry by the model name as the run records it (fake.gguf) or its digest.')
    // One entry matches: the others are for other models, and say nothing.
    const matched = parseThresholds(JSON.stringify({ overall: 0.1, models: { 'fake.gguf': { overall: 0.2 }, 'other:7b': { overall: 0.8 } } }), FILE)
    const applied = renderGate(evaluateGate({ alpha: 0.05, thresholds: matched }, run), 0)
    expect(applied).toContain(`Thresholds ${FILE} · applied: the top level and models."fake.gguf" · 1 checked`)
    expect(applied).not.toContain('⚠')
    // No models section: nothing to say about it.
    const plain = renderGate(evaluateGate({ alpha: 0.05, thresholds: parseThresholds('{ "overall": 0.1 }', FILE) }, run), 0)
    expect(plain).toContain(`Thresholds ${FILE} · 1 checked`)
  })
})

describe('loading the gate', () => {
  test('nothing set: no gate; a missing file or a baseline that is the results file: clear errors', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-gate-'))
    expect(await loadGate(readOptions({}), dir)).toBeUndefined()
    await expect(loadGate(readOptions({ MMLU_THRESHOLDS: 'nope.json' }), dir)).rejects.toThrow(`${path.join(dir, 'nope.json')}: file not found. Fix: set MMLU_THRESHOLDS to an existing file`)
    await expect(loadGate(readOptions({ MMLU_BASELINE: 'r.json', MMLU_RESULTS: 'r.json' }), dir)).rejects.toThrow(/would overwrite its own baseline/)
    await writeFile(path.join(dir, 't.json'), '{ "subjects": { "astronomy": 0.3 } }')
    const gate = await loadGate(readOptions({ MMLU_THRESHOLDS: 't.json' }), dir)
    const verdict = evaluateGate(gate!, fakeRun({ astronomy: { correct: 5, total: 20 } }))
    expect(verdict).toMatchObject({ failed: true, reasons: ['1 threshold breached (astronomy)'] })
  })
})
