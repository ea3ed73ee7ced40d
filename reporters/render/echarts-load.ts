// echarts for the pages: its single-file build (dist/echarts.min.js), compiled
// through V8's code cache. Loading and first drawing cost most of a small run's
// page: compiling 1.1 MB of script, then compiling again each function the first
// chart calls. The cache holds both, once a page has been drawn: loading echarts and
// drawing six charts took 0.30 s of CPU, 0.20 s through it (docs/performance.md).
//
// The cache lives in node_modules/.cache/vitest-mmlu beside the installed echarts
// (a pnpm or hoisted layout puts it where echarts is; where that cannot be
// written, as in Yarn's zip files, every run compiles), named after echarts',
// Node's and the source's own hash. V8 checks a cache's header only (version,
// flags, the source's length), and a damaged body crashes the process inside it:
// each file carries the SHA-256 of its body, checked before V8 sees it.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { Script } from 'node:vm'
import { writeFileAtomicSync } from '../../src/run/atomic-write.js'

export type Echarts = typeof import('echarts/core')

/** What became of the code cache: read and accepted; rejected (damaged, or refused by V8) and compiled past; absent. */
export type CodeCache = 'used' | 'rejected' | 'absent'

export interface LoadedEcharts {
  echarts: Echarts
  cache: CodeCache
  /** Writes the code cache, with every function compiled so far, unless one was used; once. Never throws. */
  save(): void
}

const require = createRequire(import.meta.url)
const DIGEST_BYTES = 32

const sha256 = (data: string | Uint8Array): Buffer => createHash('sha256').update(data).digest()

/** node_modules/.cache/vitest-mmlu, beside the installed package. */
export function defaultCacheDir(): string {
  return path.resolve(path.dirname(require.resolve('echarts/package.json')), '..', '.cache', 'vitest-mmlu')
}

/** The cache's body if the file is whole (its digest matches), or why not. */
function readCache(file: string): Buffer | 'absent' | 'rejected' {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch {
    return 'absent'
  }
  const body = bytes.subarray(DIGEST_BYTES)
  return bytes.length > DIGEST_BYTES && sha256(body).equals(bytes.subarray(0, DIGEST_BYTES)) ? body : 'rejected'
}

export function loadEcharts(cacheDir: string = defaultCacheDir()): LoadedEcharts {
  const { version } = require('echarts/package.json') as { version: string }
  const file = require.resolve('echarts/dist/echarts.min.js')
  // The build is UMD: given `exports` and `module`, it fills them in.
  const source = `(function (exports, module) {${readFileSync(file, 'utf8')}\n})`
  const cacheFile = path.join(cacheDir, `echarts-${version}-node${process.version}-${process.arch}-${sha256(source).toString('hex').slice(0, 16)}.v8`)
  const read = readCache(cacheFile)
  const script = new Script(source, { filename: file, ...(typeof read === 'string' ? {} : { cachedData: read }) })
  const cache: CodeCache = typeof read === 'string' ? read : script.cachedDataRejected ? 'rejected' : 'used'
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
        const body = script.createCachedData()
        // Another process may be writing the same cache: each through its own temp file, renamed over the last.
        writeFileAtomicSync(cacheFile, Buffer.concat([sha256(body), body]))
      } catch {
        // A read-only node_modules, a full disk: the next run compiles again.
      }
    },
  }
}
