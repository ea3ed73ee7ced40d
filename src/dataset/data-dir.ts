// Where the MMLU data is: MMLU_DATA_DIR, else the copy a first run downloaded
// into the cache. Apart from the download itself (download.ts, with the CSV
// reader and the fingerprints), so the main process can look without loading those.
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import path from 'node:path'

type Env = Record<string, string | undefined>

/** `$XDG_CACHE_HOME/vitest-mmlu`, else `~/.cache/vitest-mmlu`. */
export function cacheRoot(env: Env = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(homedir(), '.cache')
  return path.join(base, 'vitest-mmlu')
}

export function cachedDataDir(env: Env = process.env): string {
  return path.join(cacheRoot(env), 'mmlu')
}

export function hasDataset(dir: string): boolean {
  return existsSync(path.join(dir, 'test')) && existsSync(path.join(dir, 'dev'))
}

/** MMLU_DATA_DIR, else the cached download when there is one. */
export function locateDataDir(dataDir: string | undefined, env: Env = process.env): string | undefined {
  if (dataDir) return dataDir
  const cached = cachedDataDir(env)
  return hasDataset(cached) ? cached : undefined
}
