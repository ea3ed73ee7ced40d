// Vitest 4.1's experimental.fsModuleCache (on in vitest.config.ts: it takes half a
// second off every run's start) hands the main process's module runner a cached
// module's code as a Buffer: its ServerModuleRunner reads the cache file without an
// encoding. Vite's source-map lookup then throws `code.charCodeAt is not a function`
// inside Error.prepareStackTrace, and every error from the reporter or a global setup
// prints that instead of its own message and stack. Decoding the code where the
// lookup reads it keeps both. Imported by the modules the main process loads: the
// reporter and the global setup.
import { EvaluatedModules } from 'vite/module-runner'

const lookup = EvaluatedModules.prototype.getModuleSourceMapById
EvaluatedModules.prototype.getModuleSourceMapById = function (this: EvaluatedModules, id: string) {
  const meta = this.getModuleById(id)?.meta as { code?: unknown } | undefined
  if (meta && meta.code !== undefined && typeof meta.code !== 'string') meta.code = String(meta.code)
  return lookup.call(this, id)
}
