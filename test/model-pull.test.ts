// npm run model:pull over loopback: a fake Ollama registry (manifest + blob =
// a fixture GGUF) and a plain URL, then an eval that resolves the pulled file
// with no Ollama server and an empty Ollama store.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile, mkdtemp, readdir } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { closedPort } from '../fixtures/servers/model-server.js'
import { fixtureModelPath } from '../fixtures/models.js'
import { findPulledModel, pullModel } from '../src/backends/model-pull.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { runVitest } from './helpers/run-vitest.js'

const run = promisify(execFile)
let blob: Buffer
let digest: string
let url: string
let tamper = false
const requests: string[] = []
let close: () => Promise<void>

beforeAll(async () => {
  blob = await readFile(await fixtureModelPath('fixed-C'))
  digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
    if (req.url === '/v2/library/llama3.2/manifests/1b') {
      res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' })
      res.end(JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: 'application/vnd.ollama.image.model', digest, size: blob.length }] }))
    } else if (req.url === `/v2/library/llama3.2/blobs/${digest}` || req.url === '/models/fixed-C.gguf') {
      const body = tamper ? Buffer.concat([blob.subarray(0, blob.length - 1), Buffer.from([blob.at(-1)! ^ 1])]) : blob
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
      res.end(req.method === 'HEAD' ? undefined : body)
    } else {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  close = () => new Promise((r) => server.close(() => r()))
})
afterAll(() => close())

describe('model pull', () => {
  test('npm run model:pull fetches llama3.2:1b from the registry into the cache; an eval then runs on it without Ollama', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'mmlu-cache-'))
    const env = { ...process.env, XDG_CACHE_HOME: cache, MMLU_OLLAMA_REGISTRY: url, MMLU_MODEL: 'llama3.2:1b' }
    const { stdout, stderr } = await run(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/model-pull.ts'], { env })
    expect(stderr).toMatch(/Downloading llama3\.2:1b: 4\.\d MB from http:\/\/127\.0\.0\.1:\d+\/v2\/library\/llama3\.2\/blobs\/sha256:/)
    expect(stdout).toContain(digest)
    const modelFile = path.join(cache, 'vitest-mmlu', 'models', 'llama3.2-1b.gguf')
    // Byte for byte; toEqual would walk the 4.5 MB element by element (about 30 s).
    expect((await readFile(modelFile)).equals(blob)).toBe(true)

    const store = await mkdtemp(path.join(os.tmpdir(), 'mmlu-empty-store-'))
    const evalRun = await runVitest(['evals/astronomy'], {
      env: { XDG_CACHE_HOME: cache, MMLU_MODEL: 'llama3.2:1b', OLLAMA_HOST: `127.0.0.1:${await closedPort()}`, OLLAMA_MODELS: store, MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1' },
    })
    expect(evalRun.code, evalRun.output).toBe(0)
    // Always C on the fixture astronomy answers C A B D C A B D.
    expect(evalRun.results!.summary).toMatchObject({ questions: 8, correct: 2 })
    expect(evalRun.results!.provenance[0]).toMatchObject({ engine: 'llama.cpp', digest, model: 'llama3.2:1b' })
    expect(evalRun.output).toMatch(/was fetched by npm run model:pull/)
  })

  test('a URL works too, and a second pull downloads nothing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-models-'))
    const ref = `${url}/models/fixed-C.gguf`
    const first = await pullModel(ref, { registry: url, dir })
    expect(first.digest).toBe(digest)
    const before = requests.length
    const again = await pullModel(ref, { registry: url, dir })
    expect(again.path).toBe(first.path)
    expect(requests.length).toBe(before)
    expect(findPulledModel(ref, dir)?.path).toBe(first.path)
  })

  test('a blob that does not match the registry digest is deleted, with a clear error', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-models-'))
    tamper = true
    try {
      await expect(pullModel('llama3.2:1b', { registry: url, dir })).rejects.toThrow(/download of llama3\.2:1b is corrupt: sha256 .* but the registry says sha256:/)
    } finally {
      tamper = false
    }
    expect(findPulledModel('llama3.2:1b', dir)).toBeUndefined()
    expect((await readdir(dir)).filter((f) => f.endsWith('.gguf'))).toEqual([])
  })

  test('an eval never starts a download: an un-pulled URL says what to run', async () => {
    const run = await runVitest(['evals/astronomy'], { env: { MMLU_MODEL: `${url}/models/fixed-C.gguf`, MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1' } })
    expect(run.code).toBe(1)
    expect(run.output).toMatch(/has not been downloaded\. Fix: run `MMLU_MODEL=http:\/\/127\.0\.0\.1:\d+\/models\/fixed-C\.gguf npm run model:pull` first/)
  })
})
