// Weights for the embedded engine on a machine without Ollama: `npm run
// model:pull` fetches a GGUF into the cache, where model resolution finds it.
// - An Ollama name (`llama3.2:1b`) comes from Ollama's own registry: its
//   manifest names the model blob, so the file is byte for byte the weights
//   Ollama serves (Llama-3.2-1B-Instruct, Q8_0), checked against its sha256.
// - `hf:<user>/<repo>/<file>.gguf` and http(s) URLs go to node-llama-cpp's
//   downloader as they are.
// Downloads never start from inside a test run: resolution only says what to run.
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { cacheRoot } from '../dataset/data-dir.js'
import { EngineError } from './backend.js'
import { parseModelReference } from './ollama-store.js'

const MODEL_LAYER = 'application/vnd.ollama.image.model'

export interface PulledModel {
  ref: string
  path: string
  digest?: string
  source: string
  bytes: number
}

export function formatBytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`
}

export function modelsDir(env: Record<string, string | undefined> = process.env): string {
  return path.join(cacheRoot(env), 'models')
}

/** A file name for a reference: `llama3.2:1b` → `llama3.2-1b`, `hf:u/r/f.gguf` → `hf-u-r-f`. */
function slug(ref: string): string {
  return ref
    .replace(/\.gguf$/i, '')
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

export function isDownloadable(ref: string): boolean {
  return /^(hf:|https?:\/\/)/i.test(ref) || parseModelReference(ref) !== undefined
}

/** The pulled copy of a reference, if `npm run model:pull` fetched it. */
export function findPulledModel(ref: string, dir = modelsDir()): PulledModel | undefined {
  const meta = path.join(dir, `${slug(ref)}.json`)
  if (!existsSync(meta)) return undefined
  const pulled = JSON.parse(readFileSync(meta, 'utf8')) as PulledModel
  return existsSync(pulled.path) ? pulled : undefined
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer)
  return `sha256:${hash.digest('hex')}`
}

interface Source {
  url: string
  digest?: string
}

/** Ollama's registry: manifest → the model layer's blob URL and digest. */
async function registrySource(ref: string, registry: string): Promise<Source> {
  const name = parseModelReference(ref)
  if (!name) throw new EngineError(`${ref} is not an Ollama model name`)
  const repo = `${name.namespace}/${name.model}`
  const manifestUrl = `${registry}/v2/${repo}/manifests/${name.tag}`
  const res = await fetch(manifestUrl, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } }).catch((e: Error) => {
    throw new EngineError(`Could not reach the Ollama registry for ${ref} (${manifestUrl}: ${e.message}). Fix: connect to the internet, or set MMLU_MODEL to a local .gguf file.`)
  })
  if (!res.ok) throw new EngineError(`The Ollama registry has no ${ref} (${manifestUrl} answered ${res.status}). Fix: check the name on ollama.com/library.`)
  const manifest = (await res.json()) as { layers?: { mediaType?: string; digest?: string }[] }
  const layer = manifest.layers?.find((l) => l.mediaType === MODEL_LAYER)
  if (!layer?.digest) throw new EngineError(`The manifest of ${ref} (${manifestUrl}) has no model layer.`)
  return { url: `${registry}/v2/${repo}/blobs/${layer.digest}`, digest: layer.digest }
}

export interface PullModelOptions {
  registry: string
  dir?: string
  progress?: boolean
}

export interface PendingPull {
  ref: string
  url: string
  /** Size of the download, known before it starts. */
  bytes: number
  target: string
  download(): Promise<PulledModel>
}

/** Finds the source and its size without downloading anything, so a caller can show the size first. */
export async function preparePull(ref: string, opts: PullModelOptions): Promise<PendingPull> {
  const dir = opts.dir ?? modelsDir()
  const source: Source = /^(hf:|https?:\/\/)/i.test(ref) ? { url: ref } : await registrySource(ref, opts.registry)
  const file = `${slug(ref)}.gguf`
  const partDir = path.join(dir, 'downloading')
  await mkdir(partDir, { recursive: true })
  const { createModelDownloader } = await import('node-llama-cpp')
  const downloader = await createModelDownloader({ modelUri: source.url, dirPath: partDir, fileName: file, showCliProgress: opts.progress ?? false, skipExisting: false })
  const target = path.join(dir, file)
  return {
    ref,
    url: source.url,
    bytes: downloader.totalSize,
    target,
    async download() {
      const downloaded = await downloader.download()
      const digest = await sha256File(downloaded)
      if (source.digest && digest !== source.digest) {
        await rm(downloaded, { force: true })
        throw new EngineError(`The download of ${ref} is corrupt: sha256 ${digest} but the registry says ${source.digest}. It was deleted; run npm run model:pull again.`)
      }
      await rename(downloaded, target)
      const pulled: PulledModel = { ref, path: target, digest, source: source.url, bytes: downloader.totalSize }
      await writeFile(path.join(dir, `${slug(ref)}.json`), JSON.stringify(pulled, null, 1))
      return pulled
    },
  }
}

/** The pulled copy if there is one, else prepares and runs the download. */
export async function pullModel(ref: string, opts: PullModelOptions & { onStart?: (p: PendingPull) => void }): Promise<PulledModel> {
  const existing = findPulledModel(ref, opts.dir ?? modelsDir())
  if (existing) return existing
  const pending = await preparePull(ref, opts)
  opts.onStart?.(pending)
  return pending.download()
}
