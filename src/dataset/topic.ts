// A question set of your own as a topic: a test file (and optionally a dev
// file of few-shot examples) in either CSV dialect, 2 to 10 options a
// question. Validation is as strict as for MMLU (file:line errors with the
// fix); duplicates are warned about; there are no canonical counts.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parseSplit } from './csv.js'
import { DatasetError } from './errors.js'
import { fingerprintQuestions } from './fingerprint.js'
import type { Question, Split } from './question.js'
import { isSubject } from './subjects.js'

export interface TopicSpec {
  /** The topic's name: its file's name without `.eval.ts`. Results, thresholds and the answer cache use it. */
  name: string
  /** The test questions: a CSV in either dialect, 2-10 options a question; relative to the project root. */
  test: string
  /** Few-shot examples in the same format; without a dev file the topic is asked 0-shot. */
  dev?: string
  /** The topic's category in the summaries. Default `custom`. */
  category?: string
  /** How the prompt's header names the topic (`… questions (with answers) about {title}.`). Default: the name with underscores as spaces. */
  title?: string
}

export const DEFAULT_TOPIC_CATEGORY = 'custom'

/** A split file of a topic, as the results record it. */
export interface TopicFile {
  split: Split
  /** As the topic file names it. */
  file: string
  fingerprint: string
  questions: number
}

export interface LoadedTopic {
  dev: Question[]
  test: Question[]
  files: TopicFile[]
  /** Things worth a look that do not stop the run (duplicate questions), each with file:line. */
  warnings: string[]
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

/** Checks a topic's spec; throws a DatasetError naming the topic file's call and the fix. */
export function checkTopicSpec(spec: TopicSpec): void {
  const where = `defineSubject(${JSON.stringify(spec?.name ?? '')})`
  const fail = (problem: string, fix: string): never => {
    throw new DatasetError({ code: 'unknown-subject', file: where, problem, fix })
  }
  if (typeof spec !== 'object' || spec === null) fail('expected an MMLU subject name or a topic { name, test, dev?, category? }', 'see docs/custom-sets.md')
  if (typeof spec.name !== 'string' || !NAME.test(spec.name)) fail(`topic name ${JSON.stringify(spec.name)} is not a plain name`, 'use letters, digits, _ . or - (it names the results, thresholds and cache entries)')
  if (isSubject(spec.name)) fail(`"${spec.name}" is an MMLU subject`, `give your question set a name of its own, e.g. ${spec.name}_custom, or use defineSubject('${spec.name}') for MMLU's`)
  if (typeof spec.test !== 'string' || spec.test.trim() === '') fail('the topic names no test file', "add test: 'path/to/test.csv' (relative to the project root)")
  if (spec.dev !== undefined && (typeof spec.dev !== 'string' || spec.dev.trim() === '')) fail('dev must be a path to a CSV file', "add dev: 'path/to/dev.csv', or leave it out for 0-shot")
  if (spec.category !== undefined && (typeof spec.category !== 'string' || !NAME.test(spec.category))) fail(`category ${JSON.stringify(spec.category)} is not a plain name`, 'use letters, digits, _ . or -')
}

async function readSplit(root: string, spec: TopicSpec, split: Split, file: string): Promise<{ questions: Question[]; lines: number[]; file: string }> {
  const full = path.resolve(root, file)
  let bytes: Buffer
  try {
    bytes = await readFile(full)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new DatasetError({
      code: 'missing-file',
      file,
      problem: code === 'ENOENT' ? `the ${split} file of topic ${spec.name} does not exist` : `the ${split} file of topic ${spec.name} cannot be read (${code ?? (e as Error).message})`,
      fix: `fix the ${split} path in the topic's defineSubject({ … ${split}: '${file}' … }): paths are relative to the project root (${root})`,
    })
  }
  // No canonical option count: 2 to 10, as the header or the columns say.
  // Messages name the file as the topic does (relative to the project root).
  const parsed = parseSplit(bytes, file, spec.name, split, {})
  return { ...parsed, file }
}

/** Same question text, whitespace aside. */
const normal = (q: Question) => q.question.replace(/\s+/g, ' ').trim()

function duplicates(test: { questions: Question[]; lines: number[]; file: string }, dev: { questions: Question[]; lines: number[]; file: string } | undefined): string[] {
  const warnings: string[] = []
  const seen = new Map<string, number>()
  test.questions.forEach((q, i) => {
    const key = normal(q)
    const first = seen.get(key)
    if (first !== undefined) warnings.push(`${test.file}:${test.lines[i]}: the same question as line ${first}; it is asked (and counted) twice`)
    else seen.set(key, test.lines[i]!)
  })
  dev?.questions.forEach((q, i) => {
    const inTest = seen.get(normal(q))
    // A few-shot example that is also a test question gives its own answer away.
    if (inTest !== undefined) warnings.push(`${dev.file}:${dev.lines[i]}: this few-shot example is also test question ${test.file}:${inTest}, whose answer it shows`)
  })
  return warnings
}

/** Loads a topic's files (relative to `root`); a dev file shorter than `shots` is a DatasetError naming it. */
export async function loadTopic(spec: TopicSpec, root: string): Promise<LoadedTopic> {
  const [test, dev] = await Promise.all([readSplit(root, spec, 'test', spec.test), spec.dev === undefined ? undefined : readSplit(root, spec, 'dev', spec.dev)])
  const files: TopicFile[] = [{ split: 'test', file: spec.test, fingerprint: fingerprintQuestions(test.questions), questions: test.questions.length }]
  if (dev && spec.dev) files.push({ split: 'dev', file: spec.dev, fingerprint: fingerprintQuestions(dev.questions), questions: dev.questions.length })
  return { dev: dev?.questions ?? [], test: test.questions, files, warnings: duplicates(test, dev) }
}
