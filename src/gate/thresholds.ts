// Minimum accuracies: the thresholds file, its validation and the check of a
// run against it. Pure: the caller reads the file and passes its text.
//
// File format (JSON; accuracies are fractions 0-1, so 0.45 means 45%):
//   {
//     "overall": 0.40,                        micro accuracy, every question equal
//     "macro": 0.40,                          every subject equal (optional)
//     "categories": { "stem": 0.35 },         stem, humanities, social_sciences, other
//     "subjects": { "astronomy": 0.45 },
//     "models": {                             optional, keyed by model
//       "llama3.2:1b": { "overall": 0.45, "subjects": { "astronomy": 0.5 } }
//     }
//   }
// A model entry applies when its key equals the run's model name (a file
// name such as `model.gguf`, or a server's tag) or the weights' digest
// (`sha256:…`); its values replace the top-level ones key by key. Keys
// starting with `$` ("$comment", "$schema") are ignored.
import type { Category, Subject } from '../dataset/subjects.js'
import { CATEGORIES, isSubject, suggestSubjects } from '../dataset/subjects.js'
import type { ResultsFile } from '../run/results.js'
import type { Interval } from '../base/stats.js'
import { GateConfigError, lineAt, parseJsonFile } from '../base/file-errors.js'

export interface ThresholdSet {
  overall?: number
  macro?: number
  categories: Partial<Record<Category, number>>
  /** MMLU subjects and topics of your own, by name. */
  subjects: Partial<Record<Subject | string, number>>
}

export interface Thresholds {
  file: string
  defaults: ThresholdSet
  /** In file order: the first entry whose key names the run's model applies. */
  models: { key: string; set: ThresholdSet }[]
}

export type ThresholdScope = 'subject' | 'category' | 'overall' | 'macro'

export interface ThresholdCheck {
  scope: ThresholdScope
  /** Subject or category id; `overall` or `macro` for the run. */
  name: string
  min: number
  accuracy: number
  correct?: number
  /** Questions answered: the accuracy's denominator. */
  total?: number
  /** Outside the accuracy (not the model's answers), said beside it. */
  errors?: number
  notAsked?: number
  /** 95% interval: Wilson for a proportion, stats.ts macroInterval for the macro average. */
  ci95?: Interval
  breached: boolean
}

export interface ThresholdReport {
  file: string
  /** The `models` key that applied, if any. */
  model?: string
  /** The run's model name and weight digests (what a `models` key may name). */
  runModel: string
  runDigests: string[]
  /** When no `models` key applied: the keys the file has, none of which names this run's model. */
  unmatchedModels: string[]
  checks: ThresholdCheck[]
  breaches: ThresholdCheck[]
  /** Thresholds for subjects or categories this run did not ask (skipped, not failed). */
  notRun: string[]
}

const SET_KEYS = ['overall', 'macro', 'categories', 'subjects'] as const
const FILE_FIX = 'see docs/ci.md, "Thresholds", for the format'

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const ignored = (key: string) => key.startsWith('$')

/** Finds where a key sits (following the path of enclosing keys) for the error's line number. */
function lineOf(text: string, path: readonly string[]): number | undefined {
  let from = 0
  for (const key of path) {
    const re = new RegExp(`${JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`, 'g')
    re.lastIndex = from
    const m = re.exec(text)
    if (!m) return undefined
    from = m.index + 1
  }
  return path.length ? lineAt(text, from - 1) : undefined
}

class Validator {
  constructor(
    readonly text: string,
    readonly file: string,
    /** Names of question sets of your own (topic files), accepted beside MMLU's subjects. */
    readonly topics: readonly string[] = [],
  ) {}

  fail(path: readonly string[], problem: string, fix: string): never {
    throw new GateConfigError({ file: this.file, line: lineOf(this.text, path), problem, fix })
  }

  accuracy(value: unknown, path: readonly string[]): number {
    const where = path.join('.')
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(path, `${where} must be a number from 0 to 1, found ${JSON.stringify(value)}`, 'write the minimum accuracy as a fraction, e.g. 0.45')
    if (value < 0 || value > 1) {
      const hint = value > 1 && value <= 100 ? `; write ${value / 100} for ${value}%` : ''
      this.fail(path, `${where} is ${value}, outside 0-1 (accuracies are fractions)`, `write the minimum accuracy as a fraction, e.g. 0.45 for 45%${hint}`)
    }
    return value
  }

  section(value: unknown, path: readonly string[]): Json {
    if (!isObject(value)) this.fail(path, `${path.join('.')} must be an object`, FILE_FIX)
    return value
  }

  set(value: unknown, path: readonly string[], allowModels: boolean): ThresholdSet {
    const obj = this.section(value, path)
    const set: ThresholdSet = { categories: {}, subjects: {} }
    for (const [key, v] of Object.entries(obj)) {
      const at = [...path, key]
      if (ignored(key) || (allowModels && key === 'models')) continue
      if (key === 'overall' || key === 'macro') set[key] = this.accuracy(v, at)
      else if (key === 'categories') {
        for (const [c, min] of Object.entries(this.section(v, at))) {
          if (ignored(c)) continue
          if (!(CATEGORIES as readonly string[]).includes(c)) this.fail([...at, c], `"${c}" is not a category`, `use one of ${CATEGORIES.join(', ')}`)
          set.categories[c as Category] = this.accuracy(min, [...at, c])
        }
      } else if (key === 'subjects') {
        for (const [s, min] of Object.entries(this.section(v, at))) {
          if (ignored(s)) continue
          if (!isSubject(s) && !this.topics.includes(s)) {
            const near = suggestSubjects(s)
            const topics = this.topics.length ? ` or a topic file's name (${this.topics.join(', ')})` : ''
            this.fail([...at, s], `"${s}" is not an MMLU subject${topics ? ' or a topic' : ''}`, `${near.length ? `use ${near.join(' or ')}, or` : 'use'} one of the names in src/dataset/subjects.ts${topics}`)
          }
          set.subjects[s] = this.accuracy(min, [...at, s])
        }
      } else {
        const keys = allowModels ? [...SET_KEYS, 'models'] : SET_KEYS
        this.fail(at, `unknown key "${key}"`, `use ${keys.join(', ')} (keys starting with $ are comments)`)
      }
    }
    return set
  }
}

/** How a check is named in messages: the subject, `category stem`, `overall`, `macro average`. */
export function checkLabel(c: Pick<ThresholdCheck, 'scope' | 'name'>): string {
  return c.scope === 'category' ? `category ${c.name}` : c.scope === 'macro' ? 'macro average' : c.name
}

/**
 * Validates a thresholds file's text; every problem is a GateConfigError
 * naming the file and line. `topics`: the names of the project's own question
 * sets (topic files), which may have thresholds like MMLU's subjects.
 */
export function parseThresholds(text: string, file: string, topics: readonly string[] = []): Thresholds {
  const v: Validator = new Validator(text, file, topics)
  const root = parseJsonFile(text, file, FILE_FIX)
  if (!isObject(root)) v.fail([], 'the file must hold a JSON object', FILE_FIX)
  const defaults = v.set(root, [], true)
  const models: Thresholds['models'] = []
  if (root.models !== undefined) {
    for (const [key, set] of Object.entries(v.section(root.models, ['models']))) {
      if (!ignored(key)) models.push({ key, set: v.set(set, ['models', key], false) })
    }
  }
  return { file, defaults, models }
}

/** The names a `models` key may use for this run: model names and weight digests. */
export function modelIds(results: Pick<ResultsFile, 'config' | 'provenance'>): string[] {
  const ids = [results.config.model, ...results.provenance.flatMap((e) => [e.model, e.digest ?? ''])]
  return [...new Set(ids.filter(Boolean))]
}

/** The thresholds that apply to a model: the first matching `models` entry over the defaults. */
export function thresholdsFor(t: Thresholds, ids: readonly string[]): { set: ThresholdSet; model?: string } {
  const entry = t.models.find((m) => ids.includes(m.key))
  if (!entry) return { set: t.defaults }
  const d = t.defaults
  const m = entry.set
  return {
    model: entry.key,
    set: {
      overall: m.overall ?? d.overall,
      macro: m.macro ?? d.macro,
      categories: { ...d.categories, ...m.categories },
      subjects: { ...d.subjects, ...m.subjects },
    },
  }
}

/** Checks a run's accuracies against minimums. A value equal to its minimum passes. */
export function checkThresholds(t: Thresholds, results: Pick<ResultsFile, 'config' | 'provenance' | 'summary' | 'subjects'>): ThresholdReport {
  const { set, model } = thresholdsFor(t, modelIds(results))
  const checks: ThresholdCheck[] = []
  const notRun: string[] = []
  const add = (c: Omit<ThresholdCheck, 'breached'>) => checks.push({ ...c, breached: !(c.accuracy >= c.min) })
  for (const [subject, min] of Object.entries(set.subjects) as [Subject, number][]) {
    const s = results.subjects.find((x) => x.subject === subject)
    if (!s || s.total === 0) notRun.push(subject)
    else add({ scope: 'subject', name: subject, min, accuracy: s.accuracy, correct: s.correct, total: s.total, errors: s.errors, notAsked: s.notAsked, ci95: s.ci95 })
  }
  for (const [category, min] of Object.entries(set.categories) as [Category, number][]) {
    const c = results.summary.categories.find((x) => x.category === category)
    if (!c || c.total === 0) notRun.push(category)
    else {
      const of = results.subjects.filter((x) => x.category === category)
      const errors = of.reduce((n, x) => n + x.errors, 0)
      const notAsked = of.reduce((n, x) => n + x.notAsked, 0)
      add({ scope: 'category', name: category, min, accuracy: c.accuracy, correct: c.correct, total: c.total, errors, notAsked, ci95: c.ci95 })
    }
  }
  const run = results.summary
  if (run.questions > 0) {
    if (set.overall !== undefined) add({ scope: 'overall', name: 'overall', min: set.overall, accuracy: run.microAccuracy, correct: run.correct, total: run.questions, errors: run.errors, notAsked: run.notAsked, ci95: run.microCi95 })
    // Results written before the macro interval existed have none.
    if (set.macro !== undefined) add({ scope: 'macro', name: 'macro', min: set.macro, accuracy: run.macroAccuracy, ...(run.macroCi95 ? { ci95: run.macroCi95 } : {}) })
  }
  const runDigests = [...new Set(results.provenance.flatMap((e) => (e.digest ? [e.digest] : [])))]
  const unmatchedModels = model ? [] : t.models.map((m) => m.key)
  return { file: t.file, ...(model ? { model } : {}), runModel: results.config.model, runDigests, unmatchedModels, checks, breaches: checks.filter((c) => c.breached), notRun }
}
