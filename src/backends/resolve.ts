// Model reference → engine and weights, with the reason for the choice.
// MMLU_BACKEND=auto, in this order:
//   1. a path to a file (`.gguf`, or an existing file such as an Ollama blob):
//      the embedded engine, with no server probe, so local runs cost nothing extra;
//   2. an Ollama server answers (a short probe) and has the model: Ollama.
//      It answers but lacks the model: the `ollama pull` hint, or the pull itself (MMLU_PULL=1);
//   3. no server, but the model is in Ollama's local store: the embedded engine
//      on the store's GGUF blob, the same weights Ollama would serve;
//   4. nothing: one message listing the ways to get a model.
// (A path cannot name a server model, so checking it first changes no outcome.)
// MMLU_BACKEND=ollama / openai / llamacpp use only that engine, and say why not when they cannot.
// Several servers (OLLAMA_HOST or MMLU_OPENAI_BASE_URL as a comma-separated
// list) must all answer and all have the model; that they hold the same
// weights is checked where the engines are opened (index.ts).
import { statSync } from 'node:fs'
import { resolve as resolvePath } from 'node:path'
import type { Options } from '../config/options.js'
import { EngineError } from './backend.js'
import type { OllamaModelFacts } from './ollama.js'
import { probeOllama, pullOllamaModel, showOllamaModel } from './ollama.js'
import type { StoredModel } from './ollama-store.js'
import { findInOllamaStore, ollamaStores, parseModelReference } from './ollama-store.js'
import { findPulledModel } from './model-pull.js'
import { redactUrl } from './server.js'

/** How long auto waits for an Ollama server: long enough for a busy local one, short enough to cost little when there is none. */
export const AUTO_PROBE_TIMEOUT_MS = 1_500
/** With MMLU_BACKEND=ollama the server must answer: a clear error within 5 s when it does not. */
export const OLLAMA_PROBE_TIMEOUT_MS = 4_000

/** One Ollama server that has the model. */
export interface OllamaServer {
  host: string
  /** From /api/version. */
  version: string
  facts: OllamaModelFacts
}

export type Resolution =
  | { backend: 'llamacpp'; modelPath: string; /** The name to show instead of the file name. */ model?: string; digest?: string; reason: string }
  | { backend: 'ollama'; servers: OllamaServer[]; model: string; reason: string }
  | { backend: 'openai'; baseUrls: string[]; model: string; reason: string }

type ResolveOptions = Pick<Options, 'model' | 'backend' | 'ollamaHosts' | 'ollamaModels' | 'openaiBaseUrls' | 'pull'>

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** A `.gguf` reference must exist; any other existing file is taken as weights too (Ollama's blobs have no extension). */
function fileResolution(ref: string, why: string): Resolution | undefined {
  const path = resolvePath(ref)
  if (ref.toLowerCase().endsWith('.gguf')) {
    if (!isFile(path)) throw new EngineError(`MMLU_MODEL=${ref}: no such file (${path}). Fix: point MMLU_MODEL at an existing .gguf file.`)
    return { backend: 'llamacpp', modelPath: path, reason: `${why}MMLU_MODEL is a path to a .gguf file` }
  }
  if (isFile(path)) return { backend: 'llamacpp', modelPath: path, reason: `${why}MMLU_MODEL is a path to a file` }
  if (looksLikePath(ref)) {
    const gguf = `${ref}.gguf`
    const fix = isFile(resolvePath(gguf)) ? `MMLU_MODEL=${gguf}` : 'point MMLU_MODEL at an existing model file (a .gguf), or name an Ollama model such as llama3.2:1b'
    throw new EngineError(`MMLU_MODEL=${ref}: no such file (${path}). Fix: ${fix}.`)
  }
  return undefined
}

/**
 * A reference that can only be a path: it starts with `.`, `/` or `~`, has a backslash, has
 * more slashes than an Ollama name (`host/namespace/model`), or its first part is a folder here.
 * `someone/model:1b` stays an Ollama name.
 */
function looksLikePath(ref: string): boolean {
  if (/^[./~]|\\/.test(ref)) return true
  if (!ref.includes('/')) return false
  if (!parseModelReference(ref)) return true
  try {
    return statSync(resolvePath(ref.slice(0, ref.indexOf('/')))).isDirectory()
  } catch {
    return false
  }
}

function storeResolution(stored: StoredModel, why: string): Resolution {
  return { backend: 'llamacpp', modelPath: stored.blob, model: stored.name, digest: stored.digest, reason: `${why}${stored.name} is in Ollama's model store ${stored.store}` }
}

async function lookInStore(ref: string, options: ResolveOptions): Promise<StoredModel | undefined> {
  const name = parseModelReference(ref)
  return name ? findInOllamaStore(name, ollamaStores(options.ollamaModels)) : undefined
}

/** The server answered: it has the model, gets it (MMLU_PULL=1), or we stop with the hint. */
async function serverResolution(ref: string, host: string, options: ResolveOptions, version: string, why: string, progress: PullProgress): Promise<{ server: OllamaServer; reason: string }> {
  let facts = await showOllamaModel(host, ref, OLLAMA_PROBE_TIMEOUT_MS)
  let reason = `${why}the Ollama server at ${redactUrl(host)} has ${ref}`
  if (!facts) {
    if (!options.pull) {
      throw new EngineError(
        `The Ollama server at ${redactUrl(host)} (version ${version}) does not have MMLU_MODEL=${ref}. Fix: run \`ollama pull ${ref}\`, or set MMLU_PULL=1 to pull it now.`,
      )
    }
    await pullOllamaModel(host, ref, progress)
    facts = await showOllamaModel(host, ref, OLLAMA_PROBE_TIMEOUT_MS)
    if (!facts) throw new EngineError(`The Ollama server at ${redactUrl(host)} pulled ${ref} but still does not list it. Fix: run \`ollama pull ${ref}\` and check \`ollama list\`.`)
    reason = `${why}the Ollama server at ${redactUrl(host)} pulled ${ref} (MMLU_PULL=1)`
  }
  return { server: { host, version, facts }, reason }
}

/** Every listed server answered: each has the model (or pulls it); one reason for them all. */
async function serversResolution(ref: string, hosts: readonly string[], versions: readonly string[], options: ResolveOptions, why: string, progress: PullProgress): Promise<Resolution> {
  const resolved = []
  for (const [i, host] of hosts.entries()) resolved.push(await serverResolution(ref, host, options, versions[i] as string, why, progress))
  const reason = resolved.length === 1 ? (resolved[0]!.reason) : `${why}the ${resolved.length} Ollama servers ${hosts.map(redactUrl).join(', ')} have ${ref}`
  return { backend: 'ollama', servers: resolved.map((r) => r.server), model: ref, reason }
}

type Probed = { host: string; probe: Awaited<ReturnType<typeof probeOllama>> }

async function probeAll(hosts: readonly string[], timeoutMs: number): Promise<Probed[]> {
  return Promise.all(hosts.map(async (host) => ({ host, probe: await probeOllama(host, timeoutMs) })))
}

/** Of several listed servers, one that does not answer stops the run: it would silently get no questions. */
function someUnreachable(probed: readonly Probed[]): EngineError | undefined {
  const down = probed.filter((p) => !p.probe.reachable)
  if (down.length === 0 || probed.length === 1) return undefined
  const list = down.map((p) => `${redactUrl(p.host)} (${p.probe.reachable ? '' : p.probe.why})`).join(', ')
  return new EngineError(`OLLAMA_HOST lists ${probed.length} servers, and ${down.length === 1 ? 'one is' : `${down.length} are`} not reachable: ${list}. Fix: start ${down.length === 1 ? 'it' : 'them'}, or take ${down.length === 1 ? 'it' : 'them'} out of OLLAMA_HOST.`)
}

/** A copy fetched by `npm run model:pull` into the cache. */
function pulledResolution(ref: string, why: string): Resolution | undefined {
  const pulled = findPulledModel(ref)
  if (!pulled) return undefined
  return { backend: 'llamacpp', modelPath: pulled.path, model: ref, digest: pulled.digest, reason: `${why}${ref} was fetched by npm run model:pull into ${pulled.path}` }
}

/** `hf:` and URL references: the pulled copy, or what to run — a run never starts a large download by itself. */
function remoteResolution(ref: string, why: string): Resolution | undefined {
  if (!/^(hf:|https?:\/\/)/i.test(ref)) return undefined
  const pulled = pulledResolution(ref, why)
  if (pulled) return pulled
  throw new EngineError(`MMLU_MODEL=${ref} has not been downloaded. Fix: run \`MMLU_MODEL=${ref} npm run model:pull\` first (it shows the size before downloading).`)
}

function nothingFound(ref: string, options: ResolveOptions, noServer: string | undefined): EngineError {
  const looked = [
    noServer ? `no Ollama server at ${options.ollamaHosts.map(redactUrl).join(', ')} (${noServer})` : undefined,
    parseModelReference(ref) ? `not in Ollama's model store (looked in ${ollamaStores(options.ollamaModels).join(', ')})` : `not an Ollama model name`,
    'not a path to a file',
  ].filter(Boolean)
  return new EngineError(
    `No model found for MMLU_MODEL=${ref}: ${looked.join('; ')}.\n` +
      `Ways to get a model:\n` +
      `  - Ollama: start it (\`ollama serve\`, or set OLLAMA_HOST to where it runs), then \`ollama pull ${ref}\` (or set MMLU_PULL=1);\n` +
      `  - without Ollama: \`MMLU_MODEL=${ref} npm run model:pull\` downloads the same weights into the cache for the embedded engine;\n` +
      `  - a GGUF file: MMLU_MODEL=./models/Llama-3.2-1B-Instruct-Q8_0.gguf (any file llama.cpp loads);\n` +
      `  - an OpenAI-compatible server (vLLM, SGLang, TGI): MMLU_BACKEND=openai MMLU_OPENAI_BASE_URL=http://127.0.0.1:8000/v1 MMLU_MODEL=<its model id>.`,
  )
}

/** Where a pull's progress goes: stderr, because Vitest's reporter does not show workers' console output. */
type PullProgress = Parameters<typeof pullOllamaModel>[2]

export async function resolveModel(options: ResolveOptions, progress: PullProgress = process.stderr): Promise<Resolution> {
  const ref = options.model
  switch (options.backend) {
    case 'openai': {
      const urls = options.openaiBaseUrls
      if (urls.length === 0) {
        throw new EngineError('MMLU_BACKEND=openai needs the server: set MMLU_OPENAI_BASE_URL (or OPENAI_BASE_URL), e.g. http://127.0.0.1:8000/v1 for vLLM.')
      }
      const where = urls.length === 1 ? `the server at ${redactUrl(urls[0]!)}` : `the ${urls.length} servers ${urls.map(redactUrl).join(', ')}`
      return { backend: 'openai', baseUrls: urls, model: ref, reason: `MMLU_BACKEND=openai: ${where}` }
    }
    case 'llamacpp': {
      const why = 'MMLU_BACKEND=llamacpp: '
      const remote = remoteResolution(ref, why)
      if (remote) return remote
      const file = fileResolution(ref, why)
      if (file) return file
      const stored = await lookInStore(ref, options)
      if (stored) return storeResolution(stored, why)
      const pulled = pulledResolution(ref, why)
      if (pulled) return pulled
      throw nothingFound(ref, options, undefined)
    }
    case 'ollama': {
      const probed = await probeAll(options.ollamaHosts, OLLAMA_PROBE_TIMEOUT_MS)
      const some = someUnreachable(probed)
      if (some) throw some
      const [only] = probed
      if (!only!.probe.reachable) {
        throw new EngineError(
          `The Ollama server at ${redactUrl(only!.host)} is not reachable (${only!.probe.why}). Fix: start it with \`ollama serve\`, or set OLLAMA_HOST to where it runs (MMLU_BACKEND=ollama).`,
        )
      }
      return serversResolution(ref, options.ollamaHosts, probed.map((p) => (p.probe.reachable ? p.probe.version : '')), options, 'MMLU_BACKEND=ollama: ', progress)
    }
    case 'auto': {
      const remote = remoteResolution(ref, '')
      if (remote) return remote
      const file = fileResolution(ref, '')
      if (file) return file
      if (!parseModelReference(ref)) throw nothingFound(ref, options, undefined)
      const probed = await probeAll(options.ollamaHosts, AUTO_PROBE_TIMEOUT_MS)
      // None answers: no server at all, so the local store may serve. Some answer: every listed one must.
      const whyNot = probed.map((p) => (p.probe.reachable ? '' : p.probe.why))
      if (probed.some((p) => p.probe.reachable)) {
        const some = someUnreachable(probed)
        if (some) throw some
        return serversResolution(ref, options.ollamaHosts, probed.map((p) => (p.probe.reachable ? p.probe.version : '')), options, '', progress)
      }
      const why = [...new Set(whyNot)].join('; ')
      const noServer = `no Ollama server at ${options.ollamaHosts.map(redactUrl).join(', ')} (${why}); `
      const stored = await lookInStore(ref, options)
      if (stored) return storeResolution(stored, noServer)
      const pulled = pulledResolution(ref, noServer)
      if (pulled) return pulled
      throw nothingFound(ref, options, why)
    }
  }
}
