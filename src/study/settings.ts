// The study's own settings, from `npm run study -- <flags>`; each is defined
// once here. Everything about the model and backend comes from the usual
// environment (MMLU_MODEL, MMLU_BACKEND, OLLAMA_HOST, MMLU_LIMIT, …), which
// every run of the study inherits.
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { isSubject, suggestSubjects } from '../dataset/subjects.js'
import { OptionsError } from '../config/options.js'
import { wholeNumber as digits } from '../base/strict-number.js'

export interface StudySettings {
  subjects: string[]
  /** Runs of each of the sequential and files profiles (R); 0 runs only the sweep. */
  repeats: number
  /** In-file concurrency levels, ascending; empty: no sweep. */
  sweep: number[]
  /** Files at once in the files profile. */
  workers: number
  /** Folder of study.md, study.html, study.json and the runs' results. */
  outDir: string
  /** One question first, untimed, so a server has the model loaded before the first timed run. */
  warmup: boolean
  /** Only render the report again from outDir's study.json and runs. */
  render: boolean
}

/** The seed experiment's two topics. */
export const DEFAULT_SUBJECTS = ['business_ethics', 'astronomy']
export const DEFAULT_REPEATS = 3
export const DEFAULT_SWEEP = [1, 2, 4, 8]

export const STUDY_USAGE = `Usage: npm run study [-- options]
  --subjects a,b     subjects to run (default ${DEFAULT_SUBJECTS.join(',')})
  --repeats R        runs of each profile, sequential and files (default ${DEFAULT_REPEATS}; 0: sweep only)
  --sweep 1,2,4,8    in-file concurrency levels (default ${DEFAULT_SWEEP.join(',')}; none: no sweep)
  --workers N        files at once in the files profile (default: one per subject, at most max(2, CPUs))
  --out DIR          where study.md, study.html, study.json and the runs go (default reports)
  --no-warmup        skip the untimed one-question run that loads the model first
  --render           run nothing: write the report again from DIR/study.json and the runs' results
The model and backend come from the environment as for any run: MMLU_MODEL, MMLU_BACKEND, OLLAMA_HOST,
MMLU_OPENAI_BASE_URL, MMLU_DATA_DIR, MMLU_LIMIT (questions per subject), MMLU_SHOTS, …
Several servers (OLLAMA_HOST=a,b): the profiles above run on the first alone, and R more runs of the
sequential profile go over all of them, one question in flight on each.`

const bad = (flag: string, value: string, expected: string) => new OptionsError(`npm run study: ${flag} ${JSON.stringify(value)} is not valid: expected ${expected}.`)

function wholeNumber(flag: string, raw: string, min: number, max: number): number {
  const n = digits(raw)
  if (n === undefined || n < min || n > max) throw bad(flag, raw, `a whole number from ${min} to ${max}`)
  return n
}

function subjects(raw: string): string[] {
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean)
  if (names.length === 0) throw bad('--subjects', raw, 'a comma-separated list of MMLU subjects, e.g. business_ethics,astronomy')
  for (const name of names) {
    if (!isSubject(name)) {
      const near = suggestSubjects(name)
      throw new OptionsError(`npm run study: --subjects: ${JSON.stringify(name)} is not an MMLU subject${near.length ? `; did you mean ${near.join(', ')}?` : ''} (the 57 names are in src/dataset/subjects.ts).`)
    }
  }
  if (new Set(names).size !== names.length) throw bad('--subjects', raw, 'each subject once')
  return names
}

function sweep(raw: string): number[] {
  if (raw.trim().toLowerCase() === 'none') return []
  const levels = raw.split(',').map((s) => wholeNumber('--sweep', s.trim(), 1, 256))
  return [...new Set(levels)].sort((a, b) => a - b)
}

export function parseStudyArgs(argv: readonly string[], cpus = availableParallelism()): StudySettings | 'help' {
  let values
  try {
    ;({ values } = parseArgs({
      args: [...argv],
      options: {
        subjects: { type: 'string' },
        repeats: { type: 'string' },
        sweep: { type: 'string' },
        workers: { type: 'string' },
        out: { type: 'string' },
        warmup: { type: 'boolean', default: true },
        render: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      allowNegative: true,
      strict: true,
    }))
  } catch (e) {
    throw new OptionsError(`npm run study: ${(e as Error).message}\n${STUDY_USAGE}`)
  }
  if (values.help) return 'help'
  const names = values.subjects === undefined ? DEFAULT_SUBJECTS : subjects(values.subjects)
  const repeats = values.repeats === undefined ? DEFAULT_REPEATS : wholeNumber('--repeats', values.repeats, 0, 100)
  const levels = values.sweep === undefined ? DEFAULT_SWEEP : sweep(values.sweep)
  if (repeats === 0 && levels.length === 0) throw new OptionsError('npm run study: --repeats 0 with --sweep none leaves nothing to run: keep one of them.')
  return {
    subjects: names,
    repeats,
    sweep: levels,
    workers: values.workers === undefined ? Math.min(names.length, Math.max(2, cpus)) : wholeNumber('--workers', values.workers, 1, 256),
    outDir: values.out ?? 'reports',
    warmup: values.warmup,
    render: values.render,
  }
}
