// Every setting of a run has exactly one definition here: its env variable,
// default, validation and help text. Everything else imports the parsed
// `Options` and reads no env variable itself, so a bad value fails in one
// place with one clear message.
import { editDistance } from '../dataset/subjects.js'
import { decimalNumber, wholeNumber } from '../base/strict-number.js'
import type { Definition, Env } from './parsers.js'
import { decimal, integer, list, oneOf, optionalInteger, OptionsError, text, yesNo } from './parsers.js'
import { Secret } from './secret.js'
import { DEFAULT_OLLAMA_HOST, ollamaHosts } from './ollama-host.js'
import type { ProtocolChoice, ProtocolName } from '../prompt/protocols.js'
import { PROTOCOL_NAMES, PROTOCOLS } from '../prompt/protocols.js'
import type { Settings, SettingsFiles, SettingSource } from './settings-files.js'
import { describeSources, readSettings, SETTINGS_FILES, SETTINGS_PREFIX, SETTINGS_SWITCH } from './settings-files.js'
import type { SampleSize } from '../prompt/variants.js'
import { minOf } from '../base/extent.js'

export const SCORING_MODES = ['logprob', 'generate'] as const
export type ScoringMode = (typeof SCORING_MODES)[number]

export const CACHE_MODES = ['on', 'off', 'refresh'] as const
export type CacheMode = (typeof CACHE_MODES)[number]

export const GPU_MODES = ['auto', 'off'] as const
export type GpuMode = (typeof GPU_MODES)[number]

export { OptionsError } from './parsers.js'

/** A fixed number of questions in flight per server, or `auto`. */
export type Concurrency = number | 'auto'

/** The levels MMLU_CONCURRENCY=auto may try per server: 1, 2, 4, … up to this. */
export const AUTO_CONCURRENCY_MAX = 16

function concurrency(raw: string | undefined): Concurrency {
  if (raw !== undefined && raw.trim().toLowerCase() === 'auto') return 'auto'
  try {
    return integer('MMLU_CONCURRENCY', 1, 256, 1)(raw)
  } catch {
    throw new OptionsError(`MMLU_CONCURRENCY=${JSON.stringify(raw)} is not valid: expected auto or a whole number from 1 to 256.`)
  }
}

export const BACKENDS = ['auto', 'ollama', 'openai', 'llamacpp'] as const
export type BackendChoice = (typeof BACKENDS)[number]

export const PROMPT_FORMATS = ['raw', 'chat'] as const
export type PromptFormat = (typeof PROMPT_FORMATS)[number]

/** Ollama's keep_alive: a Go duration ("30m", "1h30m", "-1s") or a number of seconds (negative: forever). */
function keepAlive(raw: string | undefined): string | number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_KEEP_ALIVE
  const v = raw.trim()
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v)
  if (/^-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) return v
  throw new OptionsError(`MMLU_KEEP_ALIVE=${JSON.stringify(raw)} is not valid: expected a duration such as 30m or 1h, or a number of seconds (-1 keeps the model loaded).`)
}

function httpUrls(env: string, fallbackEnv: string) {
  return (raw: string | undefined, all: Env): string[] => {
    const [name, value] = raw !== undefined && raw.trim() !== '' ? [env, raw.trim()] : [fallbackEnv, all[fallbackEnv]?.trim()]
    if (!value) return []
    const one = (url: string) => {
      try {
        const u = new URL(url)
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http')
      } catch {
        throw new OptionsError(`${name}=${JSON.stringify(url)} is not valid: expected an http(s) URL such as http://127.0.0.1:8000/v1 (several: comma-separated).`)
      }
      return url.replace(/\/+$/, '')
    }
    return list(name, one)(value)
  }
}

function secret(fallbackEnv: string) {
  return (raw: string | undefined, all: Env): Secret | undefined => {
    const value = raw !== undefined && raw.trim() !== '' ? raw.trim() : all[fallbackEnv]?.trim()
    return value ? new Secret(value) : undefined
  }
}

/** MMLU_SAMPLE: a whole number of questions per subject, or a fraction of each. */
function sampleSize(raw: string | undefined): SampleSize | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  const n = decimalNumber(raw)
  if (n !== undefined && wholeNumber(raw) === n && n >= 1 && n <= 1_000_000) return { count: n }
  if (n !== undefined && Number.isFinite(n) && n > 0 && n < 1) return { fraction: n }
  throw new OptionsError(`MMLU_SAMPLE=${JSON.stringify(raw)} is not valid: expected a number of questions per subject (e.g. 20) or a fraction of each subject between 0 and 1 (e.g. 0.1).`)
}

/** MMLU_PROTOCOL, with the options set explicitly to other values than the protocol's. */
function protocol(raw: string | undefined, env: Env): ProtocolChoice | undefined {
  const name = oneOf<ProtocolName>('MMLU_PROTOCOL', PROTOCOL_NAMES, undefined)(raw)
  if (!name) return undefined
  const overrides: string[] = []
  for (const [variable, value] of Object.entries(PROTOCOLS[name].sets)) {
    const explicit = env[variable]
    if (explicit === undefined || explicit.trim() === '') continue
    const def = Object.values(DEFINITIONS).find((d) => d.env === variable) as Definition<unknown>
    if (JSON.stringify(def.parse(explicit, env)) !== JSON.stringify(def.parse(value, env))) overrides.push(`${variable}=${explicit.trim()} (${name} sets ${value})`)
  }
  return { name, overrides }
}

export const DEFAULT_MODEL = 'llama3.2:1b'
export const DEFAULT_KEEP_ALIVE = '30m'
export const DEFAULT_SEED = 42
export const DEFAULT_RESULTS_FILE = 'reports/mmlu-results.json'
const RESULTS_BASENAME = 'mmlu-results.json'

/** MMLU_RESULTS: `dir/` names a folder, so the file is `dir/mmlu-results.json` (not a file called `dir`). */
function resultsFile(raw: string | undefined): string {
  const value = text(DEFAULT_RESULTS_FILE)(raw) as string
  return /[\\/]$/.test(value) ? `${value}${RESULTS_BASENAME}` : value
}
export const DEFAULT_RETRIES = 8

/**
 * The table: one entry per setting, its variable, help text (docs/options.md
 * is generated from it) and parser. `Options` is what the parsers return.
 */
export const DEFINITIONS = {
  dataDir: { env: 'MMLU_DATA_DIR', help: 'MMLU data folder (Hendrycks layout, either CSV dialect). Unset: the verified download in ~/.cache/vitest-mmlu/mmlu, fetched by a first eval or npm run data:pull.', parse: text(undefined) },
  model: { env: 'MMLU_MODEL', help: `Model: a path to a .gguf file, an Ollama name such as ${DEFAULT_MODEL}, or the OpenAI-compatible server's model id. Default ${DEFAULT_MODEL}.`, parse: (raw) => text(DEFAULT_MODEL)(raw) as string },
  shots: { env: 'MMLU_SHOTS', help: 'Few-shot examples from the dev split, 0-5. Default 5.', parse: integer('MMLU_SHOTS', 0, 5, 5) },
  scoring: {
    env: 'MMLU_SCORING',
    help: 'logprob (compare the next-token probabilities of A-D) or generate (greedy text, then extract the letter). Default: logprob where the engine offers it.',
    parse: oneOf('MMLU_SCORING', SCORING_MODES, undefined),
  },
  concurrency: {
    env: 'MMLU_CONCURRENCY',
    help: `Questions in flight at once per server inside each subject file, or auto: raised 1, 2, 4, … (at most ${AUTO_CONCURRENCY_MAX}) while throughput still rises by a fifth, per server. Default 1.`,
    parse: concurrency,
  },
  limit: { env: 'MMLU_LIMIT', help: 'Ask only the first N test questions of each subject.', parse: optionalInteger('MMLU_LIMIT', 1, 1_000_000) },
  timeoutMs: { env: 'MMLU_TIMEOUT_MS', help: 'Time limit for one question, in ms. Default 120000.', parse: integer('MMLU_TIMEOUT_MS', 100, 3_600_000, 120_000) },
  threads: { env: 'MMLU_THREADS', help: 'llama.cpp threads per worker. Default: physical cores ÷ Vitest workers.', parse: optionalInteger('MMLU_THREADS', 1, 1024) },
  gpu: { env: 'MMLU_GPU', help: 'Embedded engine: auto (use a GPU when there is one) or off.', parse: (raw) => oneOf('MMLU_GPU', GPU_MODES, 'auto')(raw) as GpuMode },
  maxTokens: { env: 'MMLU_MAX_TOKENS', help: 'Tokens generated per question in generate scoring. Default 5.', parse: integer('MMLU_MAX_TOKENS', 1, 4096, 5) },
  backend: {
    env: 'MMLU_BACKEND',
    help: 'auto (an Ollama server that has the model, else Ollama\'s local store or a .gguf path on the embedded engine), ollama, openai or llamacpp. Default auto.',
    parse: (raw) => oneOf('MMLU_BACKEND', BACKENDS, 'auto')(raw) as BackendChoice,
  },
  ollamaHosts: {
    env: 'OLLAMA_HOST',
    help: `Ollama server, by the Ollama CLI's rules (host, host:port, scheme optional); several, comma-separated, share the questions. Default ${DEFAULT_OLLAMA_HOST}.`,
    parse: ollamaHosts,
  },
  ollamaModels: { env: 'OLLAMA_MODELS', help: "Ollama's model store. Default ~/.ollama/models, then /usr/share/ollama/.ollama/models.", parse: text(undefined) },
  openaiBaseUrls: {
    env: 'MMLU_OPENAI_BASE_URL',
    help: 'OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp server), e.g. http://127.0.0.1:8000/v1; several, comma-separated, share the questions. Falls back to OPENAI_BASE_URL.',
    parse: httpUrls('MMLU_OPENAI_BASE_URL', 'OPENAI_BASE_URL'),
  },
  apiKey: { env: 'MMLU_API_KEY', help: 'API key for the OpenAI-compatible server. Falls back to OPENAI_API_KEY. Never printed or written.', parse: secret('OPENAI_API_KEY') },
  pull: { env: 'MMLU_PULL', help: 'Pull a model the Ollama server lacks (with progress) instead of stopping with an `ollama pull` hint.', parse: yesNo('MMLU_PULL') },
  retries: {
    env: 'MMLU_RETRIES',
    help: `Retries of one question after a retryable server failure (connection refused or reset, 429, 5xx), with backoff from 0.25 s doubling to 4 s, inside its MMLU_TIMEOUT_MS. Default ${DEFAULT_RETRIES}: about 10-20 s, which outlasts a server restart.`,
    parse: integer('MMLU_RETRIES', 0, 20, DEFAULT_RETRIES),
  },
  promptFormat: {
    env: 'MMLU_PROMPT_FORMAT',
    help: 'Server backends: raw (the lm-eval prompt as is: /api/generate raw, /v1/completions) or chat (the few-shot examples as user/assistant turns, then the question: /api/chat, /v1/chat/completions). Default raw.',
    parse: (raw) => oneOf('MMLU_PROMPT_FORMAT', PROMPT_FORMATS, 'raw')(raw) as PromptFormat,
  },
  keepAlive: { env: 'MMLU_KEEP_ALIVE', help: `Ollama keep_alive: how long the model stays loaded after each request. Default ${DEFAULT_KEEP_ALIVE}.`, parse: keepAlive },
  seed: {
    env: 'MMLU_SEED',
    help: `Seed sent to servers with every greedy request; MMLU_SAMPLE, MMLU_TRIALS and MMLU_TEMPERATURE derive their seeds from it. Default ${DEFAULT_SEED}.`,
    parse: integer('MMLU_SEED', 0, 2_147_483_647, DEFAULT_SEED),
  },
  temperature: {
    env: 'MMLU_TEMPERATURE',
    help: 'Sampling temperature, 0-5. 0 (default) is greedy. Above 0, generate scoring samples tokens over the whole vocabulary (no top-k or top-p) and log-prob scoring draws the letter from the letters\' probabilities at that temperature, each ask with its own seed from MMLU_SEED.',
    parse: (raw) => decimal('MMLU_TEMPERATURE', 0, 5, 0, 'e.g. 0.7; 0 is greedy')(raw) as number,
  },
  trials: {
    env: 'MMLU_TRIALS',
    help: 'Ask each question this many times (1-100), each trial with its own seed from MMLU_SEED; reports the spread across trials, majority vote and agreement. Default 1.',
    parse: integer('MMLU_TRIALS', 1, 100, 1),
  },
  rotate: {
    env: 'MMLU_ROTATE',
    help: 'on: ask each question once per rotation of its options (4 for MMLU), so the right answer sits once under each letter; reports accuracy per rotation, circular accuracy and consistency. Default off.',
    parse: yesNo('MMLU_ROTATE'),
  },
  sample: {
    env: 'MMLU_SAMPLE',
    help: 'A seeded random sample of each subject (MMLU_SEED): a number of questions (20) or a fraction (0.1). Unlike MMLU_LIMIT (the first N), an unbiased quick look.',
    parse: sampleSize,
  },
  protocol: {
    env: 'MMLU_PROTOCOL',
    help: `A named protocol that sets shots, prompt format, scoring and sampling together: ${PROTOCOL_NAMES.join(' or ')} (docs/protocols.md). Options set explicitly still win, and the header says so.`,
    parse: protocol,
  },
  resultsFile: {
    env: 'MMLU_RESULTS',
    help: `Results JSON written by the reporter. A value ending in / is a folder: the results go in it as ${RESULTS_BASENAME}. Default ${DEFAULT_RESULTS_FILE}.`,
    parse: resultsFile,
  },
  ollamaRegistry: {
    env: 'MMLU_OLLAMA_REGISTRY',
    help: "Registry npm run model:pull fetches Ollama model names from (the same blobs `ollama pull` gets). Default https://registry.ollama.ai.",
    parse: (raw) => text('https://registry.ollama.ai')(raw) as string,
  },
  cache: {
    env: 'MMLU_CACHE',
    help: 'Answer cache: on (answered questions are kept on disk and skipped by a rerun of the same configuration), off, or refresh (ask everything again). Default on.',
    parse: (raw) => oneOf('MMLU_CACHE', CACHE_MODES, 'on')(raw) as CacheMode,
  },
  dataUrl: {
    env: 'MMLU_DATA_URL',
    help: "Download source of the MMLU release (data.tar). Default: Hendrycks et al.'s original.",
    parse: (raw) => text('https://people.eecs.berkeley.edu/~hendrycks/data.tar')(raw) as string,
  },
  allowPartialData: { env: 'MMLU_ALLOW_PARTIAL', help: 'Accept test splits smaller than the canonical MMLU counts (for fixtures).', parse: yesNo('MMLU_ALLOW_PARTIAL') },
  progressMs: {
    env: 'MMLU_PROGRESS_MS',
    help: 'Live progress: on a TTY it is redrawn in place; without one (CI) a line is printed every this many ms. 0 turns it off. Default 10000.',
    parse: integer('MMLU_PROGRESS_MS', 0, 3_600_000, 10_000),
  },
  engineModule: {
    env: 'MMLU_ENGINE_MODULE',
    help: 'Path (from the cwd) of a module whose default export (options, workers) => Promise<Engine> replaces the built-in engines, e.g. bench/instant-engine.ts.',
    parse: text(undefined),
  },
  thresholdsFile: { env: 'MMLU_THRESHOLDS', help: 'Thresholds file (JSON): minimum accuracy per subject, category and overall, optionally per model. A breach makes the exit code 1.', parse: text(undefined) },
  baselineFile: { env: 'MMLU_BASELINE', help: 'Results JSON of a baseline run: this run is compared with it question by question (exact McNemar); a regression makes the exit code 1.', parse: text(undefined) },
  alpha: { env: 'MMLU_ALPHA', help: 'Significance level of the baseline comparison. Default 0.05.', parse: (raw) => decimal('MMLU_ALPHA', 0, 1, 0.05, 'e.g. 0.05', true)(raw) as number },
  tolerance: { env: 'MMLU_TOLERANCE', help: 'Largest accuracy drop against the baseline accepted even when not significant, as a fraction (0.02 = 2 points). Default: none.', parse: decimal('MMLU_TOLERANCE', 0, 1, undefined, 'a fraction: 0.02 means 2 percentage points') },
  flipsShown: { env: 'MMLU_FLIPS_SHOWN', help: 'Flipped questions (right→wrong, wrong→right) listed against the baseline, per direction. Default 10.', parse: integer('MMLU_FLIPS_SHOWN', 0, 100_000, 10) },
  stepSummaryFile: { env: 'GITHUB_STEP_SUMMARY', help: 'Set by GitHub Actions: the reporter appends a Markdown summary (table, gate verdicts, flips) to this file.', parse: text(undefined) },
  speedupBaselineFile: {
    env: 'MMLU_SPEEDUP_BASELINE',
    help: 'Results JSON of a sequential run (npm run eval:sequential) on the same machine: the reporter shows this run\'s real speedup and latency inflation against it.',
    parse: text(undefined),
  },
  keepRuns: {
    env: 'MMLU_KEEP_RUNS',
    help: 'Run history: every run that answered questions is kept under runs/ beside the results JSON. N keeps only the newest N (older ones are deleted after the run); 0 keeps none: this run is not kept and earlier ones are deleted, as npm run runs -- --keep 0 does. Default: keep all.',
    parse: optionalInteger('MMLU_KEEP_RUNS', 0, 1_000_000),
  },
  envFiles: {
    env: SETTINGS_SWITCH,
    help: `on: MMLU_ settings are also read from ${SETTINGS_FILES.join(' and ')} in the project root (Vite's loadEnv); a variable in the environment wins over both, and .env.local over .env. off: the environment only (the project's own tests run so). Read from the environment only. Default on.`,
    parse: yesNo(SETTINGS_SWITCH, true),
  },
} satisfies Record<string, Definition<unknown>>

/** Every setting of a run, parsed: one field per entry of DEFINITIONS, typed by its parser. */
export type Options = { [K in keyof typeof DEFINITIONS]: ReturnType<(typeof DEFINITIONS)[K]['parse']> }

/** Option variables without the MMLU_ prefix, and the fallbacks some of them read: their source is shown too. */
const UNPREFIXED = [...Object.values(DEFINITIONS).map((d) => d.env), 'OPENAI_BASE_URL', 'OPENAI_API_KEY'].filter((v) => !v.startsWith(SETTINGS_PREFIX))

/**
 * Every MMLU_ variable is a setting of this project: one that is not (`MMLU_SHOT`,
 * `MMLU_LIMT`) would be silently ignored, so it stops the run with the closest name.
 */
function checkNames(env: Env, sources: ReadonlyMap<string, SettingSource>): void {
  const known = Object.values(DEFINITIONS).map((d) => d.env)
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(SETTINGS_PREFIX) || known.includes(name)) continue
    const bare = name.slice(SETTINGS_PREFIX.length)
    const scored = known.map((k) => ({ k, d: editDistance(bare, k.startsWith(SETTINGS_PREFIX) ? k.slice(SETTINGS_PREFIX.length) : k, false) }))
    const best = minOf(scored.map((s) => s.d))
    const near = best <= Math.max(2, Math.floor(bare.length / 3)) ? scored.filter((s) => s.d === best).map((s) => s.k) : []
    const where = sources.get(name)
    const from = where && where !== 'the environment' ? ` (in ${where})` : ''
    throw new OptionsError(
      `${name}${from} is not a setting${near.length ? `; did you mean ${near.join(' or ')}?` : '.'} Fix: correct or remove it; every MMLU_ variable is read as a setting, and docs/options.md lists them.`,
    )
  }
}

/**
 * The environment with .env and .env.local under it, and where each setting came from.
 * `files`: the files as the main process read them (a worker gets them so: test/settings-files.test.ts).
 */
export function currentSettings(files?: SettingsFiles): Settings {
  return readSettings(undefined, process.env, UNPREFIXED, files)
}

/** The header's line: where each setting that is not a default came from; undefined when none is set. */
export function settingsSourcesLine(): string | undefined {
  return describeSources(currentSettings().sources)
}

/**
 * Parses every option from `env`, by default the environment over the settings files;
 * an MMLU_ variable that is no option, or the first bad value, throws an `OptionsError`.
 */
export function readOptions(given?: Env, givenSources: ReadonlyMap<string, SettingSource> = new Map()): Options {
  const { env, sources } = given ? { env: given, sources: givenSources } : currentSettings()
  checkNames(env, sources)
  // A protocol fills the options it sets, where they are not set explicitly.
  const chosen = DEFINITIONS.protocol.parse(env.MMLU_PROTOCOL, env)
  const effective: Env = chosen ? { ...env } : env
  if (chosen) for (const [variable, value] of Object.entries(PROTOCOLS[chosen.name].sets)) if (!effective[variable]?.trim()) effective[variable] = value
  const out: Record<string, unknown> = {}
  for (const [key, def] of Object.entries(DEFINITIONS) as [keyof Options, Definition<unknown>][]) {
    out[key] = def.parse(effective[def.env], effective)
  }
  const options = out as unknown as Options
  if (options.limit !== undefined && options.sample !== undefined) {
    throw new OptionsError(`MMLU_LIMIT=${env.MMLU_LIMIT} and MMLU_SAMPLE=${env.MMLU_SAMPLE} are both set: choose one (MMLU_LIMIT asks the first N questions of each subject, MMLU_SAMPLE a seeded random sample).`)
  }
  return options
}

/** The servers the chosen backend would spread questions over: OLLAMA_HOST's or MMLU_OPENAI_BASE_URL's list (1 for the embedded engine). */
export function serverCount(options: Pick<Options, 'backend' | 'ollamaHosts' | 'openaiBaseUrls'>): number {
  if (options.backend === 'openai') return Math.max(1, options.openaiBaseUrls.length)
  if (options.backend === 'llamacpp') return 1
  return options.ollamaHosts.length
}

/**
 * Questions in flight per subject file at most: Vitest's `maxConcurrency`. The
 * dispatcher (src/backends/dispatch.ts) holds each server to its own level, so
 * this only has to allow the highest: MMLU_CONCURRENCY per server, or the top
 * level auto may try, times the servers.
 */
export function inFlightCap(options: Pick<Options, 'concurrency' | 'backend' | 'ollamaHosts' | 'openaiBaseUrls'>): number {
  return (options.concurrency === 'auto' ? AUTO_CONCURRENCY_MAX : options.concurrency) * serverCount(options)
}
