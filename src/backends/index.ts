// Opens the engine a run's options call for. The only place that knows every
// backend. Whatever the backend, the engine it returns is the dispatcher's
// (dispatch.ts): retries, deadlines, server health and concurrency are applied
// there, once, above one or several single-server engines.
import { resolve as resolvePath } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Options } from '../config/options.js'
import { AUTO_CONCURRENCY_MAX } from '../config/options.js'
import type { Engine } from './backend.js'
import { EngineError } from './backend.js'
import type { DispatchSettings } from './dispatch.js'
import { openServerPool } from './dispatch.js'
import { redactUrl } from './server.js'

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

/** What the dispatcher takes from the options. */
function dispatchSettings(options: Options): DispatchSettings {
  return { timeoutMs: options.timeoutMs, retries: options.retries, concurrency: options.concurrency, autoMax: AUTO_CONCURRENCY_MAX }
}

async function openResolved(options: Options, workers: number): Promise<Engine> {
  // Resolution loads the Ollama client and the store reader: not for MMLU_ENGINE_MODULE.
  const { resolveModel } = await import('./resolve.js')
  const r = await resolveModel(options)
  const wantLogprobs = options.scoring !== 'generate'
  const settings = dispatchSettings(options)
  switch (r.backend) {
    // Each backend is imported when chosen: node-llama-cpp alone costs ~0.6 s to
    // import, the OpenAI client ~0.15 s, and a run uses one of them.
    case 'llamacpp': {
      const { openLlamaCppEngine } = await import('./llamacpp.js')
      const engine = await openLlamaCppEngine({ modelPath: r.modelPath, reason: r.reason, digest: r.digest, gpu: options.gpu, threads: options.threads, workers, promptFormat: options.promptFormat })
      // A store blob's file name is a digest: show the model's name instead.
      return openServerPool([{ engine: r.model ? { ...engine, info: { ...engine.info, model: r.model } } : engine }], settings)
    }
    case 'ollama': {
      const [{ openOllamaEngine }, { ollamaPromptCounter }, { ollamaStores }] = await Promise.all([import('./ollama.js'), import('./ollama-tokens.js'), import('./ollama-store.js')])
      const facts = r.servers[0]!.facts
      const overhead = options.promptFormat === 'chat' ? [facts.template, facts.system].filter(Boolean).join('\n') : ''
      // Every server has these weights (checked below), so one tokenizer counts for all.
      const counter = await ollamaPromptCounter({ model: r.model, digest: facts.digest, stores: ollamaStores(options.ollamaModels), overhead })
      const engines = r.servers.map((s) =>
        openOllamaEngine({ host: s.host, version: s.version, facts: s.facts, model: r.model, reason: r.reason, promptFormat: options.promptFormat, keepAlive: options.keepAlive, seed: options.seed, wantLogprobs, counter }),
      )
      checkSameWeights(engines, 'OLLAMA_HOST')
      return openServerPool(engines.map((engine, i) => ({ engine, server: redactUrl(r.servers[i]!.host) })), settings)
    }
    case 'openai': {
      const { openOpenAIEngine } = await import('./openai.js')
      const engines = await Promise.all(
        r.baseUrls.map((baseUrl) => openOpenAIEngine({ baseUrl, model: r.model, reason: r.reason, apiKey: options.apiKey, promptFormat: options.promptFormat, seed: options.seed, timeoutMs: options.timeoutMs, wantLogprobs })),
      )
      checkSameWeights(engines, 'MMLU_OPENAI_BASE_URL')
      return openServerPool(engines.map((engine, i) => ({ engine, server: redactUrl(r.baseUrls[i]!) })), settings)
    }
  }
}

/** What identifies a server's weights: the digest (Ollama), else what an OpenAI-compatible server says of the model (vLLM's root, llama.cpp's meta). */
const weightsOf = (e: Engine): string | undefined => e.info.digest ?? (typeof e.info.details.weights === 'string' ? e.info.details.weights : undefined)

/**
 * A run never mixes answers from different weights: every server must report
 * the same identity as the first. Ollama always reports a digest; a server
 * that reports nothing to compare cannot be checked, and says so in the reason.
 */
export function checkSameWeights(engines: readonly Engine[], variable: string): void {
  if (engines.length < 2) return
  const first = engines[0]!
  for (const other of engines.slice(1)) {
    const [a, b] = [weightsOf(first), weightsOf(other)]
    if (a !== b) {
      const shown = (w: string | undefined) => w ?? 'nothing to compare (no digest)'
      // The fix for the backend in use: Ollama pulls by name; an OpenAI-compatible server loads what it is started with.
      const fix = first.info.engine === 'ollama' ? `pull the same model on every server (e.g. \`ollama pull ${first.info.model}\`), or list only servers that have it` : 'start every server with the same weights under that id, or list only servers that have them'
      throw new EngineError(
        `The servers in ${variable} do not serve the same weights of ${first.info.model}: ${first.info.source} has ${shown(a)}, ${other.info.source} has ${shown(b)}. ` +
          `A run never mixes answers from different weights. Fix: ${fix}.`,
      )
    }
  }
}

/** MMLU_ENGINE_MODULE: a module whose default export opens the engine (benchmark backends, experiments). */
async function openEngineModule(path: string, options: Options, workers: number): Promise<Engine> {
  return openServerPool([{ engine: await importEngineModule(path, options, workers) }], dispatchSettings(options))
}

async function importEngineModule(path: string, options: Options, workers: number): Promise<Engine> {
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
export { questionTimeLimitMs } from './dispatch.js'
