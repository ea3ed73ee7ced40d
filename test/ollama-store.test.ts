// Ollama's local store, read without a server: names, manifests, blobs.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { findInOllamaStore, MODEL_LAYER, modelName, ollamaStores, parseModelReference } from '../src/backends/ollama-store.js'

describe('model names, as Ollama parses them', () => {
  test.each([
    ['llama3.2:1b', { host: 'registry.ollama.ai', namespace: 'library', model: 'llama3.2', tag: '1b' }, 'llama3.2:1b'],
    ['llama3.2', { host: 'registry.ollama.ai', namespace: 'library', model: 'llama3.2', tag: 'latest' }, 'llama3.2:latest'],
    ['someone/tiny:q8', { host: 'registry.ollama.ai', namespace: 'someone', model: 'tiny', tag: 'q8' }, 'someone/tiny:q8'],
    ['hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M', { host: 'hf.co', namespace: 'bartowski', model: 'Llama-3.2-1B-Instruct-GGUF', tag: 'Q4_K_M' }, 'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'],
    ['localhost:5000/ns/model', { host: 'localhost:5000', namespace: 'ns', model: 'model', tag: 'latest' }, 'localhost:5000/ns/model:latest'],
  ])('%s', (ref, parsed, name) => {
    expect(parseModelReference(ref)).toEqual(parsed)
    expect(modelName(parsed)).toBe(name)
  })

  test.each(['./models/x.bin', '/abs/model', 'a/b/c/d', 'has space:1b', 'model:', ''])('%j is not a model name', (ref) => {
    expect(parseModelReference(ref)).toBeUndefined()
  })
})

test('stores: OLLAMA_MODELS alone when set, else the user store then the Linux service store', () => {
  expect(ollamaStores('/data/ollama')).toEqual(['/data/ollama'])
  expect(ollamaStores(undefined, '/home/me')).toEqual(['/home/me/.ollama/models', '/usr/share/ollama/.ollama/models'])
})

const HEX = 'ab'.repeat(32)
const stores: string[] = []
afterAll(() => Promise.all(stores.map((d) => rm(d, { recursive: true, force: true }))))

async function fakeStore(opts: { manifest?: string; blob?: string | null; layerSize?: number; blobName?: string } = {}) {
  const store = await mkdtemp(path.join(os.tmpdir(), 'mmlu-store-'))
  stores.push(store)
  const dir = path.join(store, 'manifests', 'registry.ollama.ai', 'library', 'tiny')
  await mkdir(dir, { recursive: true })
  await mkdir(path.join(store, 'blobs'))
  const blob = opts.blob === undefined ? 'GGUF-bytes' : opts.blob
  const manifest = opts.manifest ?? JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${'cd'.repeat(32)}`, size: 10 },
    layers: [
      { mediaType: 'application/vnd.ollama.image.template', digest: `sha256:${'ef'.repeat(32)}`, size: 5 },
      { mediaType: MODEL_LAYER, digest: `sha256:${HEX}`, size: opts.layerSize ?? Buffer.byteLength(blob ?? '') },
    ],
  })
  await writeFile(path.join(dir, '1b'), manifest)
  if (blob !== null) await writeFile(path.join(store, 'blobs', opts.blobName ?? `sha256-${HEX}`), blob)
  return store
}

describe('findInOllamaStore', () => {
  const ref = parseModelReference('tiny:1b')!

  test('manifest → the model layer → its blob, with the digest from the manifest', async () => {
    const store = await fakeStore()
    const found = await findInOllamaStore(ref, ['/nonexistent', store])
    expect(found).toEqual({
      name: 'tiny:1b',
      store,
      manifest: path.join(store, 'manifests', 'registry.ollama.ai', 'library', 'tiny', '1b'),
      blob: path.join(store, 'blobs', `sha256-${HEX}`),
      digest: `sha256:${HEX}`,
    })
  })

  test("old stores named blobs sha256:<hex>", async () => {
    const store = await fakeStore({ blobName: `sha256:${HEX}` })
    expect((await findInOllamaStore(ref, [store]))?.blob).toBe(path.join(store, 'blobs', `sha256:${HEX}`))
  })

  test('a model the store does not have: undefined', async () => {
    const store = await fakeStore()
    expect(await findInOllamaStore(parseModelReference('tiny:8b')!, [store])).toBeUndefined()
    expect(await findInOllamaStore(parseModelReference('other')!, [store])).toBeUndefined()
  })

  test.each([
    ['a manifest that is not JSON', { manifest: '{ nope' }, /manifests\/registry\.ollama\.ai\/library\/tiny\/1b: Ollama's manifest for tiny:1b is not readable JSON .*Fix: run `ollama pull tiny:1b` again/],
    ['a manifest without a model layer', { manifest: JSON.stringify({ layers: [{ mediaType: 'application/vnd.ollama.image.license', digest: `sha256:${HEX}` }] }) }, /has no model layer \(mediaType application\/vnd\.ollama\.image\.model/],
    ['a missing blob', { blob: null }, new RegExp(`names the blob .*blobs/sha256-${HEX}, which is missing \\(an interrupted pull\\?\\)`)],
    ['a blob of the wrong size', { layerSize: 999 }, /10 bytes, but the manifest of tiny:1b says 999/],
  ])('%s is a clear error naming the file and the fix', async (_, opts, message) => {
    const store = await fakeStore(opts)
    await expect(findInOllamaStore(ref, [store])).rejects.toThrow(message)
  })
})
