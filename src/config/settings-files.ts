// Settings from files, the way Vite and Vitest users know them: `.env` and
// `.env.local` in the project root, read by Vite's own loadEnv with the MMLU_
// prefix. A variable in the environment wins over both files, and `.env.local`
// (git-ignored) over `.env`. Where each setting came from is kept, so the
// header can say `MMLU_MODEL from .env.local`.
import { NO_WORDS } from './parsers.js'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseEnv } from 'node:util'

type Env = Record<string, string | undefined>

/** The folder of package.json and vitest.config.ts, wherever the command was typed. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url))

export const SETTINGS_PREFIX = 'MMLU_'

/** The files read, lowest precedence first. */
export const SETTINGS_FILES = ['.env', '.env.local'] as const

/** Off: the environment only, no file (the project's own tests run so, immune to a developer's .env.local). */
export const SETTINGS_SWITCH = 'MMLU_ENV_FILES'

export type SettingSource = (typeof SETTINGS_FILES)[number] | 'the environment'

export interface Settings {
  /** The environment with the files' MMLU_ variables under it. */
  env: Env
  /** Where each variable set to a value came from, MMLU_ ones and any other the caller asks about. */
  sources: Map<string, SettingSource>
  /** What the files define, as read; undefined when they are off. */
  files?: SettingsFiles
}

/** The MMLU_ variables of `.env` and `.env.local`, merged (`.env.local` wins), and which of them `.env.local` defines. */
export interface SettingsFiles {
  values: Record<string, string>
  local: string[]
}

/**
 * Vite's loadEnv also reads `.env.[mode]` and `.env.[mode].local`; with an empty mode
 * those are `.env.` and `.env..local`, names nobody writes, so only the two files count.
 * (Vite refuses the mode `local` itself; other names would add files of their own.)
 */
const NO_MODE = ''

/** Whether the files are read: MMLU_ENV_FILES from the environment itself (a file cannot switch files off). */
export function settingsFilesOn(environment: Env): boolean {
  const v = environment[SETTINGS_SWITCH]?.trim().toLowerCase()
  // A bad word here is reported by the option's own parser (yesNo): only a clear "no" turns the files off.
  return !v || !(NO_WORDS as readonly string[]).includes(v)
}

/**
 * The settings of a run: `environment` (process.env), with the MMLU_ variables of
 * `<root>/.env` and `<root>/.env.local` under it. `tracked` names variables without
 * the prefix (OLLAMA_HOST…) whose source is shown too; they come from the environment only.
 */
export function readSettings(root: string = PROJECT_ROOT, environment: Env = process.env, tracked: readonly string[] = [], read?: SettingsFiles): Settings {
  const env: Env = { ...environment }
  const sources = new Map<string, SettingSource>()
  for (const [k, v] of Object.entries(environment)) if (v !== undefined && v !== '' && (k.startsWith(SETTINGS_PREFIX) || tracked.includes(k))) sources.set(k, 'the environment')
  if (!settingsFilesOn(environment)) return { env, sources }
  const files = read ?? readSettingsFiles(root)
  const local = new Set(files.local)
  for (const [k, v] of Object.entries(files.values)) {
    if (environment[k] !== undefined) continue
    env[k] = v
    if (v !== '') sources.set(k, local.has(k) ? '.env.local' : '.env')
  }
  return { env, sources, files }
}

/**
 * The files' MMLU_ variables, by Vite's loadEnv. The main process reads them and hands them
 * to the workers (the reporter provides them): loading Vite's entry there costs a worker
 * 0.18 s of CPU before its first question, measured, while Vitest's main process has it loaded.
 */
export function readSettingsFiles(root: string = PROJECT_ROOT): SettingsFiles {
  // loadEnv puts process.env's MMLU_ variables over the files'; only the files' own are kept.
  const merged = viteLoadEnv()(NO_MODE, root, SETTINGS_PREFIX)
  const values: Record<string, string> = {}
  for (const [k, v] of Object.entries(merged)) if (process.env[k] === undefined) values[k] = v
  return { values, local: [...definedIn(path.join(root, '.env.local'))].filter((k) => k in values).sort() }
}

/** Vite's loadEnv, loaded only when files are read. require() of an ES module: Node ≥ 20.19. */
function viteLoadEnv(): typeof import('vite').loadEnv {
  return (createRequire(import.meta.url)('vite') as typeof import('vite')).loadEnv
}

/** The variables a settings file defines (for telling the two files apart; loadEnv gives only their merge). */
function definedIn(file: string): Set<string> {
  if (!existsSync(file)) return new Set()
  return new Set(Object.keys(parseEnv(readFileSync(file, 'utf8'))))
}

/** `settings MMLU_DATA_DIR, MMLU_MODEL from .env.local · MMLU_LIMIT from the environment`; undefined when nothing is set. */
export function describeSources(sources: ReadonlyMap<string, SettingSource>): string | undefined {
  const by = new Map<SettingSource, string[]>()
  for (const [name, source] of [...sources].sort(([a], [b]) => a.localeCompare(b))) by.set(source, [...(by.get(source) ?? []), name])
  const order: SettingSource[] = ['.env.local', '.env', 'the environment']
  const parts = order.filter((s) => by.has(s)).map((s) => `${by.get(s)!.join(', ')} from ${s}`)
  return parts.length ? `settings ${parts.join(' · ')}` : undefined
}
