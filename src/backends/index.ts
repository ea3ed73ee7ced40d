// Opens the engine a run's options call for. The only place that knows every backend.
import type { Options } from '../options.js'
import type { Engine } from './backend.js'
import { openLlamaCppEngine } from './llamacpp.js'
import { resolveModel } from './resolve.js'

export function openEngine(options: Options, workers: number): Promise<Engine> {
  const r = resolveModel(options)
  return openLlamaCppEngine({ modelPath: r.modelPath, reason: r.reason, digest: r.digest, gpu: options.gpu, threads: options.threads, workers })
}

export type { Engine, EngineInfo, RawAnswer, Session, SessionRequest } from './backend.js'
export { EngineError } from './backend.js'
