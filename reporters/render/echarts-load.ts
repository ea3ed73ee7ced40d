// echarts for the pages: its single-file build (dist/echarts.min.js), compiled
// through V8's code cache. Loading and first drawing cost most of a small run's
// page: compiling 1.1 MB of script, then compiling again each function the first
// chart calls. The cache holds both, once a page has been drawn. Measured on a
// one-question run: 0.18 s less CPU per run that writes a page (docs/performance.md).
//
// The cache lives beside the package, in node_modules/.cache/vitest-mmlu, named
// after echarts' and Node's versions; V8 checks it against the source and its
// own flags, and a cache it rejects is compiled past and written again. A cache
// that cannot be read or written is only slower.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { Script } from 'node:vm'

export type Echarts = typeof import('echarts/core')

/** What became of the code cache: read and accepted, rejected by V8, absent, or not readable. */
export type CodeCache = 'used' | 'rejected' | 'absent'

export interface LoadedEcharts {
  echarts: Echarts
  cache: CodeCache
  /** Writes the code cache (with every function compiled so far) unless one was used; once. Never throws. */
  save(): void
}

const require = createRequire(import.meta.url)

/** node_modules/.cache/vitest-mmlu, beside the installed echarts. */
export function defaultCacheDir(): string {
  return path.resolve(path.dirname(require.resolve('echarts/package.json')), '..', '.cache', 'vitest-mmlu')
}

export function loadEcharts(cacheDir: string = defaultCacheDir()): LoadedEcharts {
  const file = require.resolve('echarts/dist/echarts.min.js')
  const { version } = require('echarts/package.json') as { version: string }
  const cacheFile = path.join(cacheDir, `echarts-${version}-node${process.version}-${process.arch}.v8`)
  let cachedData: Buffer | undefined
  try {
    cachedData = readFileSync(cacheFile)
  } catch {
    cachedData = undefined
  }
  // The build is UMD: given `exports` and `module`, it fills them in.
  const script = new Script(`(function (exports, module) {${readFileSync(file, 'utf8')}\n})`, { filename: file, ...(cachedData ? { cachedData } : {}) })
  const cache: CodeCache = !cachedData ? 'absent' : script.cachedDataRejected ? 'rejected' : 'used'
  const module = { exports: {} }
  ;(script.runInThisContext() as (exports: object, module: object) => void)(module.exports, module)
  let saved = cache === 'used'
  return {
    echarts: module.exports as Echarts,
    cache,
    save() {
      if (saved) return
      saved = true
      try {
        mkdirSync(cacheDir, { recursive: true })
        // Another process may write the same file: each writes its own, then renames over it.
        const tmp = `${cacheFile}.${process.pid}.tmp`
        writeFileSync(tmp, script.createCachedData())
        renameSync(tmp, cacheFile)
      } catch {
        // A read-only node_modules: the next run compiles again.
      }
    },
  }
}
