// Model reference → engine, in the order, against the loopback test
// server (or a closed port for "no server") and fake Ollama stores.
import { createHash } from 'node:crypto'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import type { ModelServer } from '../fixtures/servers/model-server.js'
import { closedPort, DEFAULT_MODEL, startModelServer, startSilentServer } from '../fixtures/servers/model-server.js'
import { MODEL_LAYER } from '../src/backends/ollama-store.js'
import { resolveModel } from '../src/backends/resolve.js'
import type { Options } from '../src/config/options.js'
import { readOptions } from '../src/config/options.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { runVitest } from './helpers/run-vitest.js'

let server: ModelServer
let noServer: string
let emptyStore: string
const temporary: string[] = []
const tempDir = async (prefix: string) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  temporary.push(dir)
  return dir
}

beforeAll(async () => {
  server = await startModelServer()
  noServer = `127.0.0.1:${await closedPort()}`
  emptyStore = await tempDir('mmlu-empty-store-')
})
afterAll(async () => {
  await server.close()
  await Promise.all(temporary.map((d) => rm(d, { recursive: true, force: true })))
})
beforeEach(() => {
  server.reset()
  server.config.models = [DEFAULT_MODEL]
  server.config.pullable = []
})

/** A fake Ollama store holding `file` as the weights of `name:tag`; the digest is the file's real sha256. */
async function storeWith(file: string, name: string, tag: string): Promise<{ store: string; blob: string; digest: string }> {
  const store = await tempDir('mmlu-store-')
  const bytes = await readFile(file)
  const hex = createHash('sha256').update(bytes).digest('hex')
  const manifests = path.join(store, 'manifests', 'registry.ollama.ai', 'library', name)
  await mkdir(manifests, { recursive: true })
  await mkdir(path.join(store, 'blobs'))
  const blob = path.join(store, 'blobs', `sha256-${hex}`)
  await copyFile(file, blob)
  await writeFile(path.join(manifests, tag), JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: MODEL_LAYER, digest: `sha256:${hex}`, size: bytes.length }] }))
  return { store, blob, digest: `sha256:${hex}` }
}

const options = (env: Record<string, string>): Options => readOptions({ OLLAMA_MODELS: emptyStore, ...env })
const quiet = { write: () => true }

describe('auto', () => {
  test('a .gguf path: the embedded engine, and no server is asked', async () => {
    const file = path.join(await tempDir('mmlu-file-'), 'm.gguf')
    await writeFile(file, 'x')
    await expect(resolveModel(options({ MMLU_MODEL: file, OLLAMA_HOST: server.url }))).resolves.toEqual({ backend: 'llamacpp', modelPath: file, reason: 'MMLU_MODEL is a path to a .gguf file' })
    expect(server.requests).toHaveLength(0)
  })

  test('a missing .gguf path: a clear error, no server asked', async () => {
    await expect(resolveModel(options({ MMLU_MODEL: '/nope/m.gguf', OLLAMA_HOST: server.url }))).rejects.toThrow('MMLU_MODEL=/nope/m.gguf: no such file (/nope/m.gguf). Fix: point MMLU_MODEL at an existing .gguf file.')
    expect(server.requests).toHaveLength(0)
  })

  // Issue 22 item 6: `../shared/models/x` got "ollama pull ../shared/models/x".
  test.each(['../shared/models/x', './x', 'models-that-are-not-here/x/y/z', '/nope/m'])('a path without .gguf (%s): "no such file", no pull hint, no server asked', async (ref) => {
    const err = await resolveModel(options({ MMLU_MODEL: ref, OLLAMA_HOST: server.url })).catch((e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toBe(`MMLU_MODEL=${ref}: no such file (${path.resolve(ref)}). Fix: point MMLU_MODEL at an existing model file (a .gguf), or name an Ollama model such as llama3.2:1b.`)
    expect(server.requests).toHaveLength(0)
  })

  test('a path without .gguf whose .gguf exists: the file is named in the fix', async () => {
    const dir = await tempDir('mmlu-file-')
    await writeFile(path.join(dir, 'm.gguf'), 'x')
    await expect(resolveModel(options({ MMLU_MODEL: path.join(dir, 'm'), OLLAMA_HOST: server.url }))).rejects.toThrow(`Fix: MMLU_MODEL=${path.join(dir, 'm.gguf')}`)
  })

  test('an Ollama name with a namespace is still a name, not a path', async () => {
    server.config.models = []
    await expect(resolveModel(options({ MMLU_MODEL: 'someone/model:1b', OLLAMA_HOST: server.url }))).rejects.toThrow('Fix: run `ollama pull someone/model:1b`')
  })

  test('any other existing file (an Ollama blob has no extension): the embedded engine', async () => {
    const file = path.join(await tempDir('mmlu-file-'), 'sha256-00')
    await writeFile(file, 'x')
    await expect(resolveModel(options({ MMLU_MODEL: file, OLLAMA_HOST: server.url }))).resolves.toMatchObject({ backend: 'llamacpp', modelPath: file, reason: 'MMLU_MODEL is a path to a file' })
  })

  test('1. a server that has the model: Ollama, with its version and the model digest', async () => {
    const r = await resolveModel(options({ OLLAMA_HOST: server.url }))
    expect(r).toEqual({
      backend: 'ollama',
      servers: [{ host: server.url, version: '0.12.11', facts: { digest: `sha256:${DEFAULT_MODEL.blobDigest}`, id: DEFAULT_MODEL.digest!.slice(0, 12), contextLength: 131072, quantization: 'Q8_0', parameters: '1.2B', template: '{{ .Prompt }}' } }],
      model: 'llama3.2:1b',
      reason: `the Ollama server at ${server.url} has llama3.2:1b`,
    })
    expect(server.requests.map((q) => q.path)).toEqual(['/api/version', '/api/show', '/api/tags'])
  })

  test('1. a server that lacks the model: the pull hint, even when the store has it; nothing is pulled', async () => {
    server.config.models = []
    const { store } = await storeWith(await fixtureModelPath('fixed-C'), 'llama3.2', '1b')
    await expect(resolveModel(options({ OLLAMA_HOST: server.url, OLLAMA_MODELS: store }))).rejects.toThrow(
      `The Ollama server at ${server.url} (version 0.12.11) does not have MMLU_MODEL=llama3.2:1b. Fix: run \`ollama pull llama3.2:1b\`, or set MMLU_PULL=1 to pull it now.`,
    )
    expect(server.requests.some((q) => q.path === '/api/pull')).toBe(false)
  })

  test('1. MMLU_PULL=1: the server pulls it, with progress lines, once', async () => {
    server.config.models = []
    server.config.pullable = [{ ...DEFAULT_MODEL }]
    const lines: string[] = []
    const r = await resolveModel(options({ OLLAMA_HOST: server.url, MMLU_PULL: '1' }), { write: (t: string) => lines.push(t) })
    expect(r).toMatchObject({ backend: 'ollama', reason: `the Ollama server at ${server.url} pulled llama3.2:1b (MMLU_PULL=1)` })
    expect(server.requests.filter((q) => q.path === '/api/pull')).toHaveLength(1)
    expect(server.requests.find((q) => q.path === '/api/pull')!.body).toMatchObject({ name: 'llama3.2:1b', stream: true })
    expect(lines.join('')).toBe(
      [
        'pulling manifest',
        'pulling 74701a8c35f6 [........................]   0% 0 MB/1.3 GB',
        'pulling 74701a8c35f6 [######..................]  25% 325 MB/1.3 GB',
        'pulling 74701a8c35f6 [############............]  50% 650 MB/1.3 GB',
        'pulling 74701a8c35f6 [##################......]  75% 975 MB/1.3 GB',
        'pulling 74701a8c35f6 [########################] 100% 1.3 GB/1.3 GB',
        'verifying sha256 digest',
        'writing manifest',
        'success',
      ]
        .map((l) => `ollama pull llama3.2:1b: ${l}\n`)
        .join(''),
    )
  })

  test('1. MMLU_PULL=1 for a name the registry does not know: the server\'s error, clearly', async () => {
    server.config.models = []
    await expect(resolveModel(options({ OLLAMA_HOST: server.url, MMLU_PULL: '1', MMLU_MODEL: 'nosuch:1b' }), quiet)).rejects.toThrow(
      `Ollama at ${server.url} could not pull nosuch:1b: pull model manifest: file does not exist. Fix: check the name`,
    )
  })

  test('2. no server, the model in the store: the embedded engine on the blob, digest from the manifest', async () => {
    const { store, blob, digest } = await storeWith(await fixtureModelPath('fixed-C'), 'tiny', '1b')
    await expect(resolveModel(options({ MMLU_MODEL: 'tiny:1b', OLLAMA_HOST: noServer, OLLAMA_MODELS: store }))).resolves.toEqual({
      backend: 'llamacpp',
      modelPath: blob,
      model: 'tiny:1b',
      digest,
      reason: `no Ollama server at http://${noServer} (connection refused (ECONNREFUSED)); tiny:1b is in Ollama's model store ${store}`,
    })
  })

  test('4. nothing found: one message with the ways to get a model', async () => {
    const err = await resolveModel(options({ OLLAMA_HOST: noServer })).catch((e: Error) => e)
    expect((err as Error).message).toBe(
      `No model found for MMLU_MODEL=llama3.2:1b: no Ollama server at http://${noServer} (connection refused (ECONNREFUSED)); not in Ollama's model store (looked in ${emptyStore}); not a path to a file.\n` +
        'Ways to get a model:\n' +
        '  - Ollama: start it (`ollama serve`, or set OLLAMA_HOST to where it runs), then `ollama pull llama3.2:1b` (or set MMLU_PULL=1);\n' +
        '  - without Ollama: `MMLU_MODEL=llama3.2:1b npm run model:pull` downloads the same weights into the cache for the embedded engine;\n' +
        '  - a GGUF file: MMLU_MODEL=./models/Llama-3.2-1B-Instruct-Q8_0.gguf (any file llama.cpp loads);\n' +
        '  - an OpenAI-compatible server (vLLM, SGLang, TGI): MMLU_BACKEND=openai MMLU_OPENAI_BASE_URL=http://127.0.0.1:8000/v1 MMLU_MODEL=<its model id>.',
    )
  })

  test('a reference that is neither a file nor a model name: no probe', async () => {
    await expect(resolveModel(options({ MMLU_MODEL: 'not a model', OLLAMA_HOST: server.url }))).rejects.toThrow(
      'No model found for MMLU_MODEL=not a model: not an Ollama model name; not a path to a file.',
    )
    expect(server.requests).toHaveLength(0)
  })
})

describe('explicit backends', () => {
  test('ollama: an unreachable server is an error, not a fallback to the store', async () => {
    const { store } = await storeWith(await fixtureModelPath('fixed-C'), 'llama3.2', '1b')
    await expect(resolveModel(options({ MMLU_BACKEND: 'ollama', OLLAMA_HOST: noServer, OLLAMA_MODELS: store }))).rejects.toThrow(
      `The Ollama server at http://${noServer} is not reachable (connection refused (ECONNREFUSED)). Fix: start it with \`ollama serve\`, or set OLLAMA_HOST to where it runs (MMLU_BACKEND=ollama).`,
    )
  })

  // The spawned run prints a resolution error once and exits 1 (test/servers-e2e.test.ts, unreachable
  // at start); how long this one waits is wall time, checked in test/servers-timing.test.ts.
  test('ollama: a server that accepts connections but never answers is not reachable after the 4 s probe; one request, given up by the client', async () => {
    const silent = await startSilentServer()
    try {
      await expect(resolveModel(options({ MMLU_BACKEND: 'ollama', OLLAMA_HOST: silent.url }))).rejects.toThrow(
        `The Ollama server at ${silent.url} is not reachable (no answer within 4 s). Fix: start it with \`ollama serve\`, or set OLLAMA_HOST to where it runs (MMLU_BACKEND=ollama).`,
      )
      // fetch may open a spare connection that carries nothing.
      const asked = silent.waits.filter((w) => w.bytes > 0)
      expect(asked).toHaveLength(1)
      await expect.poll(() => asked[0]!.closedAt, { timeout: 10_000 }).toBeDefined()
    } finally {
      await silent.close()
    }
  })

  test('llamacpp: a model name is looked up in the store, and no server is asked', async () => {
    const { blob } = await storeWith(await fixtureModelPath('fixed-C'), 'llama3.2', '1b')
    const store = path.dirname(path.dirname(blob))
    await expect(resolveModel(options({ MMLU_BACKEND: 'llamacpp', OLLAMA_HOST: server.url, OLLAMA_MODELS: store }))).resolves.toMatchObject({
      backend: 'llamacpp',
      modelPath: blob,
      reason: `MMLU_BACKEND=llamacpp: llama3.2:1b is in Ollama's model store ${store}`,
    })
    expect(server.requests).toHaveLength(0)
  })

  test('openai: needs a base URL; the model id is passed as is', async () => {
    await expect(resolveModel(options({ MMLU_BACKEND: 'openai' }))).rejects.toThrow('MMLU_BACKEND=openai needs the server: set MMLU_OPENAI_BASE_URL (or OPENAI_BASE_URL)')
    await expect(resolveModel(options({ MMLU_BACKEND: 'openai', OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1/', MMLU_MODEL: 'meta-llama/Llama-3.2-1B' }))).resolves.toEqual({
      backend: 'openai',
      baseUrls: ['http://127.0.0.1:8000/v1'],
      model: 'meta-llama/Llama-3.2-1B',
      reason: 'MMLU_BACKEND=openai: the server at http://127.0.0.1:8000/v1',
    })
  })
})

describe('acceptance 4, spawned', () => {
  test('a fake Ollama store and no server: MMLU_MODEL=<name>:<tag> runs on the embedded engine', async () => {
    const { store, blob, digest } = await storeWith(await fixtureModelPath('fixed-C'), 'fixedc', '1b')
    const run = await runVitest(['evals/astronomy'], {
      env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', MMLU_MODEL: 'fixedc:1b', OLLAMA_HOST: noServer, OLLAMA_MODELS: store },
    })
    expect(run.code, run.output).toBe(0)
    // Always C on the fixture answers C A B D C A B D.
    expect(run.results!.summary).toMatchObject({ questions: 8, correct: 2, errors: 0 })
    expect(run.results!.provenance).toEqual([expect.objectContaining({ engine: 'llama.cpp', model: 'fixedc:1b', source: blob, digest })])
    expect(run.output).toContain(`model fixedc:1b ${digest.slice(0, 19)} · engine llama.cpp`)
    expect(run.output).toContain(`weights ${blob} — no Ollama server at http://${noServer} (connection refused (ECONNREFUSED)); fixedc:1b is in Ollama's model store ${store}`)
  })

  test('a server that lacks the model: exit 1 with the pull hint, once, and no question asked', async () => {
    server.config.models = []
    const run = await runVitest(['evals/astronomy'], { env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', OLLAMA_HOST: server.url, OLLAMA_MODELS: emptyStore } })
    expect(run.code).toBe(1)
    expect(run.output.match(/Fix: run `ollama pull llama3\.2:1b`, or set MMLU_PULL=1 to pull it now\./g)).toHaveLength(1)
    expect(server.inference()).toHaveLength(0)
    // A run that asked nothing keeps the last results file: none is written here.
    expect(run.results).toBeUndefined()
  })

  test('MMLU_PULL=1: the progress is shown, then the run goes through the pulled model', async () => {
    server.config.models = []
    server.config.pullable = [{ ...DEFAULT_MODEL }]
    const run = await runVitest(['evals/astronomy'], { env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', OLLAMA_HOST: server.url, OLLAMA_MODELS: emptyStore, MMLU_PULL: '1' } })
    expect(run.code, run.output).toBe(0)
    expect(run.output).toContain('ollama pull llama3.2:1b: pulling 74701a8c35f6 [############............]  50% 650 MB/1.3 GB')
    expect(run.output).toContain('pulled llama3.2:1b (MMLU_PULL=1)')
    expect(run.results!.summary).toMatchObject({ questions: 8, correct: 2, errors: 0 })
  })
})
