// Opens the engine a run's options call for. The only place that knows every backend.
import { resolve as resolvePath } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Options } from '../options.js'
import type { Engine } from './backend.js'
import { EngineError } from './backend.js'
import { openLlamaCppEngine } from './llamacpp.js'
import { openOllamaEngine } from './ollama.js'
import { openOpenAIEngine } from './openai.js'
import { resolveModel } from './resolve.js'

// One engine per worker and set of options: with `isolate: false` the files of
// a worker share it, so resolution (a server probe, a store lookup) runs once
// and warnings are printed once. A failure is not kept: the next file tries again.
const engines: Map<string, Promise<Engine>> = ((globalThis as Record<string, unknown>).__mmluEngines ??= new Map()) as Map<string, Promise<Engine>>

export function openEngine(options: Options, workers: number): Promise<Engine> {
  if (options.engineModule) return openEngineModule(options.engineModule, options, workers)
  // The API key serializes as [redacted]; it cannot differ within one worker.
  const key = JSON.stringify({ ...options, workers })
  let pending = engines.get(key)
  if (!pending) {
    pending = openResolved(options, workers)
    engines.set(key, pending)
    pending.catch(() => engines.delete(key))
  }
  return pending
}

async function openResolved(options: Options, workers: number): Promise<Engine> {
  const r = await resolveModel(options)
  const wantLogprobs = options.scoring !== 'generate'
  switch (r.backend) {
    case 'llamacpp': {
      const engine = await openLlamaCppEngine({ modelPath: r.modelPath, reason: r.reason, digest: r.digest, gpu: options.gpu, threads: options.threads, workers, promptFormat: options.promptFormat })
      // A store blob's file name is a digest: show the model's name instead.
      return r.model ? { ...engine, info: { ...engine.info, model: r.model } } : engine
    }
    case 'ollama':
      return openOllamaEngine({ ...r, promptFormat: options.promptFormat, keepAlive: options.keepAlive, seed: options.seed, wantLogprobs })
    case 'openai':
      return openOpenAIEngine({ ...r, apiKey: options.apiKey, promptFormat: options.promptFormat, seed: options.seed, timeoutMs: options.timeoutMs, wantLogprobs })
  }
}

/** MMLU_ENGINE_MODULE: a module whose default export opens the engine (benchmark backends, experiments). */
async function openEngineModule(path: string, options: Options, workers: number): Promise<Engine> {
  const file = resolvePath(path)
  const mod = (await import(pathToFileURL(file).href).catch((e: Error) => {
    throw new EngineError(`MMLU_ENGINE_MODULE=${path}: could not import ${file} (${e.message}). Fix: point it at a module relative to the current folder.`)
  })) as { default?: unknown }
  if (typeof mod.default !== 'function') {
    throw new EngineError(`MMLU_ENGINE_MODULE=${path}: ${file} has no default export (options, workers) => Promise<Engine>.`)
  }
  return (mod.default as (options: Options, workers: number) => Promise<Engine>)(options, workers)
}

export type { Engine, EngineInfo, RawAnswer, Session, SessionRequest } from './backend.js'
export { EngineError, NotAskedError } from './backend.js'
