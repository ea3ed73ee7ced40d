// Every setting of a run has exactly one definition here: its env variable,
// default, validation and help text. Everything else imports the parsed
// `Options` and reads no env variable itself, so a bad value fails in one
// place with one clear message.

export const SCORING_MODES = ['logprob', 'generate'] as const
export type ScoringMode = (typeof SCORING_MODES)[number]

export const GPU_MODES = ['auto', 'off'] as const
export type GpuMode = (typeof GPU_MODES)[number]

export interface Options {
  /** Folder in the Hendrycks layout: `<dir>/{dev,test}/<subject>_<split>.csv`. */
  dataDir: string | undefined
  /** Model reference: a path to a `.gguf` file (wider references come with model resolution). */
  model: string
  shots: number
  /** `undefined` lets the backend choose its best mode (log-prob where it can). */
  scoring: ScoringMode | undefined
  concurrency: number
  /** Ask only the first N test questions of each subject (quick runs). */
  limit: number | undefined
  timeoutMs: number
  /** Explicit llama.cpp threads per worker; by default physical cores ÷ workers. */
  threads: number | undefined
  gpu: GpuMode
  maxTokens: number
  resultsFile: string
  /** Accept data folders whose test splits are smaller than the canonical counts (fixtures). */
  allowPartialData: boolean
}

export class OptionsError extends Error {
  override name = 'OptionsError'
}

type Env = Record<string, string | undefined>

interface Definition<T> {
  env: string
  help: string
  parse(raw: string | undefined, env: Env): T
}

function integer(env: string, min: number, max: number, fallback: number | undefined) {
  return (raw: string | undefined): number => {
    if (raw === undefined || raw.trim() === '') {
      if (fallback === undefined) throw new OptionsError(`${env} is required`)
      return fallback
    }
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new OptionsError(`${env}=${JSON.stringify(raw)} is not valid: expected a whole number from ${min} to ${max}.`)
    }
    return n
  }
}

function optionalInteger(env: string, min: number, max: number) {
  const parse = integer(env, min, max, 0)
  return (raw: string | undefined): number | undefined => (raw === undefined || raw.trim() === '' ? undefined : parse(raw))
}

function oneOf<T extends string>(env: string, values: readonly T[], fallback: T | undefined) {
  return (raw: string | undefined): T | undefined => {
    if (raw === undefined || raw.trim() === '') return fallback
    const v = raw.trim().toLowerCase()
    if ((values as readonly string[]).includes(v)) return v as T
    throw new OptionsError(`${env}=${JSON.stringify(raw)} is not valid: expected one of ${values.join(', ')}.`)
  }
}

function text(fallback: string | undefined) {
  return (raw: string | undefined): string | undefined => (raw === undefined || raw.trim() === '' ? fallback : raw.trim())
}

function flag(env: string) {
  return (raw: string | undefined): boolean => {
    if (raw === undefined || raw === '') return false
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false
    throw new OptionsError(`${env}=${JSON.stringify(raw)} is not valid: expected 1 or 0.`)
  }
}

export const DEFAULT_MODEL = 'llama3.2:1b'
export const DEFAULT_RESULTS_FILE = 'reports/mmlu-results.json'

export const DEFINITIONS: { [K in keyof Options]: Definition<Options[K]> } = {
  dataDir: { env: 'MMLU_DATA_DIR', help: 'MMLU data folder (Hendrycks layout, either CSV dialect).', parse: text(undefined) },
  model: { env: 'MMLU_MODEL', help: `Model: a path to a .gguf file. Default ${DEFAULT_MODEL}.`, parse: (raw) => text(DEFAULT_MODEL)(raw) as string },
  shots: { env: 'MMLU_SHOTS', help: 'Few-shot examples from the dev split, 0-5. Default 5.', parse: integer('MMLU_SHOTS', 0, 5, 5) },
  scoring: {
    env: 'MMLU_SCORING',
    help: 'logprob (compare the next-token probabilities of A-D) or generate (greedy text, then extract the letter). Default: logprob where the engine offers it.',
    parse: oneOf('MMLU_SCORING', SCORING_MODES, undefined),
  },
  concurrency: { env: 'MMLU_CONCURRENCY', help: 'Questions in flight at once inside each subject file. Default 1.', parse: integer('MMLU_CONCURRENCY', 1, 256, 1) },
  limit: { env: 'MMLU_LIMIT', help: 'Ask only the first N test questions of each subject.', parse: optionalInteger('MMLU_LIMIT', 1, 1_000_000) },
  timeoutMs: { env: 'MMLU_TIMEOUT_MS', help: 'Time limit for one question, in ms. Default 120000.', parse: integer('MMLU_TIMEOUT_MS', 100, 3_600_000, 120_000) },
  threads: { env: 'MMLU_THREADS', help: 'llama.cpp threads per worker. Default: physical cores ÷ Vitest workers.', parse: optionalInteger('MMLU_THREADS', 1, 1024) },
  gpu: { env: 'MMLU_GPU', help: 'Embedded engine: auto (use a GPU when there is one) or off.', parse: (raw) => oneOf('MMLU_GPU', GPU_MODES, 'auto')(raw) as GpuMode },
  maxTokens: { env: 'MMLU_MAX_TOKENS', help: 'Tokens generated per question in generate scoring. Default 5.', parse: integer('MMLU_MAX_TOKENS', 1, 4096, 5) },
  resultsFile: { env: 'MMLU_RESULTS', help: `Results JSON written by the reporter. Default ${DEFAULT_RESULTS_FILE}.`, parse: (raw) => text(DEFAULT_RESULTS_FILE)(raw) as string },
  allowPartialData: { env: 'MMLU_ALLOW_PARTIAL', help: 'Accept test splits smaller than the canonical MMLU counts (for fixtures).', parse: flag('MMLU_ALLOW_PARTIAL') },
}

/** Parses every option from the environment; the first bad value throws an `OptionsError`. */
export function readOptions(env: Env = process.env): Options {
  const out: Record<string, unknown> = {}
  for (const [key, def] of Object.entries(DEFINITIONS) as [keyof Options, Definition<unknown>][]) {
    out[key] = def.parse(env[def.env], env)
  }
  return out as unknown as Options
}

/** One line per option, for `--help`-style listings and the README. */
export function describeOptions(): string {
  return Object.values(DEFINITIONS)
    .map((d) => `${d.env.padEnd(20)} ${d.help}`)
    .join('\n')
}
