// Ollama's local model store, read without a server: a model name → its
// manifest → the layer holding the weights → a plain GGUF blob that the
// embedded engine loads. The layer's digest is the blob's sha256, so the
// provenance needs no hashing.
//   <store>/manifests/<host>/<namespace>/<model>/<tag>   JSON with layers[]
//   <store>/blobs/sha256-<hex>                            the layer's content
import { readFile, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { EngineError } from './backend.js'

export const OLLAMA_REGISTRY = 'registry.ollama.ai'
export const OLLAMA_LIBRARY = 'library'
export const MODEL_LAYER = 'application/vnd.ollama.image.model'

/** A model name as Ollama parses it: `[host/][namespace/]model[:tag]`. */
export interface ModelReference {
  host: string
  namespace: string
  model: string
  tag: string
}

const PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
const HOST = /^[A-Za-z0-9][A-Za-z0-9.-]*(:\d+)?$/
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/

/** Parses an Ollama model name, filling Ollama's defaults; undefined when `ref` is not one (e.g. a file path). */
export function parseModelReference(ref: string): ModelReference | undefined {
  const colon = ref.lastIndexOf(':')
  const hasTag = colon > ref.lastIndexOf('/')
  const path = hasTag ? ref.slice(0, colon) : ref
  const tag = hasTag ? ref.slice(colon + 1) : 'latest'
  const parts = path.split('/')
  if (parts.length > 3 || !TAG.test(tag)) return undefined
  const [host, namespace, model] = parts.length === 3 ? parts : parts.length === 2 ? [OLLAMA_REGISTRY, ...parts] : [OLLAMA_REGISTRY, OLLAMA_LIBRARY, ...parts]
  if (!host || !namespace || !model || !HOST.test(host) || !PART.test(namespace) || !PART.test(model)) return undefined
  return { host, namespace, model, tag }
}

/** The name as `ollama list` shows it: `llama3.2:1b`, `user/model:tag`, or the full name for other registries. */
export function modelName(r: ModelReference): string {
  if (r.host !== OLLAMA_REGISTRY) return `${r.host}/${r.namespace}/${r.model}:${r.tag}`
  return r.namespace === OLLAMA_LIBRARY ? `${r.model}:${r.tag}` : `${r.namespace}/${r.model}:${r.tag}`
}

/** Where Ollama keeps models: OLLAMA_MODELS alone when set, else the user's and the Linux service's stores. */
export function ollamaStores(ollamaModels: string | undefined, home: string = homedir()): string[] {
  if (ollamaModels) return [ollamaModels]
  return [join(home, '.ollama', 'models'), '/usr/share/ollama/.ollama/models']
}

export interface StoredModel {
  name: string
  store: string
  manifest: string
  /** The GGUF file. */
  blob: string
  /** `sha256:<hex>`, from the manifest. */
  digest: string
}

interface Manifest {
  layers?: { mediaType?: unknown; digest?: unknown; size?: unknown }[]
}

const exists = (path: string) => stat(path).then(
  (s) => s,
  () => undefined,
)

/** Looks the model up in each store in turn; undefined when no store has its manifest. */
export async function findInOllamaStore(ref: ModelReference, stores: readonly string[]): Promise<StoredModel | undefined> {
  const name = modelName(ref)
  const repull = `Fix: run \`ollama pull ${name}\` again, or point MMLU_MODEL at a .gguf file.`
  for (const store of stores) {
    // Ollama matches names case-insensitively; the store usually holds them lower-case.
    const candidates = [join(store, 'manifests', ref.host, ref.namespace, ref.model, ref.tag), join(store, 'manifests', ref.host.toLowerCase(), ref.namespace.toLowerCase(), ref.model.toLowerCase(), ref.tag.toLowerCase())]
    let manifest: string | undefined
    for (const c of candidates) if ((await exists(c))?.isFile()) manifest ??= c
    if (!manifest) continue
    let parsed: Manifest
    try {
      parsed = JSON.parse(await readFile(manifest, 'utf8')) as Manifest
    } catch (e) {
      throw new EngineError(`${manifest}: Ollama's manifest for ${name} is not readable JSON (${(e as Error).message}). ${repull}`)
    }
    const layer = parsed.layers?.find((l) => l.mediaType === MODEL_LAYER)
    if (!layer || typeof layer.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(layer.digest)) {
      throw new EngineError(`${manifest}: Ollama's manifest for ${name} has no model layer (mediaType ${MODEL_LAYER} with a sha256 digest). ${repull}`)
    }
    const hex = layer.digest.slice('sha256:'.length)
    // Ollama writes blobs as sha256-<hex>; very old stores used sha256:<hex>.
    const blobs = [join(store, 'blobs', `sha256-${hex}`), join(store, 'blobs', `sha256:${hex}`)]
    let blob: string | undefined
    let size: number | undefined
    for (const b of blobs) {
      const s = await exists(b)
      if (s?.isFile() && blob === undefined) {
        blob = b
        size = s.size
      }
    }
    if (!blob) throw new EngineError(`${name}: its manifest ${manifest} names the blob ${blobs[0]}, which is missing (an interrupted pull?). ${repull}`)
    if (typeof layer.size === 'number' && size !== layer.size) {
      throw new EngineError(`${blob}: ${size} bytes, but the manifest of ${name} says ${layer.size} (an interrupted pull?). ${repull}`)
    }
    return { name, store, manifest, blob, digest: layer.digest }
  }
  return undefined
}
