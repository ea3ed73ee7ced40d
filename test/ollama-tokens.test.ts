// Issue 12 item 16: prompt fitting for Ollama. The exact count comes from the
// model's GGUF in Ollama's store (vocabulary only), when its digest is the
// server's; otherwise an upper bound that never drops shots below a count
// certain to fit. Tested with the Llama 3.2 twin at reduced width (the real
// Llama 3 vocabulary) in a fake store, behind the loopback server reporting a
// 2,048-token context.
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { llama3Encode } from '../fixtures/gguf/llama3-vocab.js'
import { ensureTwin } from '../fixtures/gguf/twin.js'
import type { ModelServer } from '../fixtures/servers/model-server.js'
import { DEFAULT_MODEL, startModelServer } from '../fixtures/servers/model-server.js'
import { MODEL_LAYER } from '../src/backends/ollama-store.js'
import { ollamaPromptCounter, tokenUpperBound } from '../src/backends/ollama-tokens.js'
import type { Question } from '../src/dataset/question.js'
import { loadSubject } from '../src/dataset/load.js'
import { fewShotPrefix, formatQuestion } from '../src/prompt/prompt.js'
import { HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { runVitest } from './helpers/run-vitest.js'

const CONTEXT = 2048
let dir: string
let store: string
let emptyStore: string
let digest: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-tokens-'))
  const twin = await ensureTwin(path.join(dir, 'twin.gguf'), { shape: { blocks: 1, embd: 64, heads: 2, kvHeads: 1, ff: 128 }, name: 'twin-tokens' })
  const hex = createHash('sha256').update(await readFile(twin.path)).digest('hex')
  digest = `sha256:${hex}`
  store = path.join(dir, 'store')
  emptyStore = path.join(dir, 'empty')
  await mkdir(path.join(store, 'blobs'), { recursive: true })
  await mkdir(emptyStore)
  const manifests = path.join(store, 'manifests', 'registry.ollama.ai', 'library', 'llama3.2')
  await mkdir(manifests, { recursive: true })
  await rename(twin.path, path.join(store, 'blobs', `sha256-${hex}`))
  await writeFile(path.join(manifests, '1b'), JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: MODEL_LAYER, digest, size: twin.fileSize }] }))
}, 120_000)
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('the counter', () => {
  test('the twin in the store, with the server\'s digest: exact, as Llama 3 tokenizes (BOS + the text)', async () => {
    const counter = await ollamaPromptCounter({ model: 'llama3.2:1b', digest, stores: [store], overhead: '' })
    expect(counter).toMatchObject({ exact: true, how: expect.stringMatching(/^exact \(the tokenizer of .*sha256-[0-9a-f]{64}\)$/) })
    for (const text of ['The following are multiple choice questions (with answers) about astronomy.\n\nAnswer:', 'Éléphant naïve 日本語 🙂 x=1,234.5e-6']) {
      expect(counter.count(text)).toBe(llama3Encode(text).length + 1)
      expect(counter.count(text)).toBeLessThanOrEqual(tokenUpperBound(text))
    }
  })

  test('otherwise an upper bound, saying why: other weights in the store, no store, no digest', async () => {
    const other = await ollamaPromptCounter({ model: 'llama3.2:1b', digest: `sha256:${'0'.repeat(64)}`, stores: [store], overhead: '' })
    expect(other).toMatchObject({ exact: false, how: expect.stringMatching(/^upper bound \(UTF-8 bytes\), because the local store's llama3\.2:1b \(sha256:[0-9a-f]{12}\) is not the server's \(sha256:000000000000\)$/) })
    expect(other.count('word word')).toBe(11)
    const none = await ollamaPromptCounter({ model: 'llama3.2:1b', digest, stores: [emptyStore], overhead: '' })
    expect(none.how).toBe(`upper bound (UTF-8 bytes), because llama3.2:1b is not in a local Ollama store (looked in ${emptyStore}; OLLAMA_MODELS sets where)`)
    expect((await ollamaPromptCounter({ model: 'llama3.2:1b', digest: undefined, stores: [store], overhead: '' })).exact).toBe(false)
  })

  test('a chat prompt adds its template, counted from its text: never fewer tokens than the raw prompt', async () => {
    const template = '<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n'
    const chat = await ollamaPromptCounter({ model: 'llama3.2:1b', digest, stores: [store], overhead: template })
    const raw = await ollamaPromptCounter({ model: 'llama3.2:1b', digest, stores: [store], overhead: '' })
    expect(chat.exact).toBe(false)
    // Its special tokens are counted as the text they are spelled with: more than the 13 tokens Ollama renders, never fewer.
    expect(llama3Encode(template)).toHaveLength(13)
    expect(chat.count('Answer:') - raw.count('Answer:')).toBeGreaterThan(13)
  })
})

describe.skipIf(!HAS_REAL_DATA)(`fitting 5-shot prompts into a ${CONTEXT}-token context`, () => {
  let server: ModelServer
  let dev: Question[]
  let questions: Question[]
  beforeAll(async () => {
    server = await startModelServer({ models: [{ ...DEFAULT_MODEL, blobDigest: digest.slice(7), contextLength: CONTEXT }], slots: 4 })
    ;({ dev, test: questions } = await loadSubject(REAL_DATA_DIR, 'high_school_computer_science'))
  })
  afterAll(() => server.close())

  /** The most shots whose prompt fits by a count, leaving a token for the answer. */
  const shotsBy = (count: (t: string) => number) => (q: Question) => {
    for (let k = 5; k >= 0; k--) if (count(fewShotPrefix('high_school_computer_science', dev, k) + formatQuestion(q)) + 1 <= CONTEXT) return k
    return -1
  }
  const exact = (t: string) => llama3Encode(t).length + 1

  test('with the tokenizer from the store every question keeps its 5 shots (the old bytes ÷ 2 estimate dropped shots from 3)', async () => {
    const run = await runVitest(['evals/high_school_computer_science'], { env: { OLLAMA_HOST: server.url, OLLAMA_MODELS: store, MMLU_DATA_DIR: REAL_DATA_DIR, MMLU_CONCURRENCY: '4' } })
    expect(run.code, run.output).toBe(0)
    expect(run.results!.records.map((r) => r.shots)).toEqual(questions.map(shotsBy(exact)))
    expect(run.results!.records.every((r) => r.shots === 5)).toBe(true)
    const estimate = (t: string) => Math.ceil(Buffer.byteLength(t) / 2) + 1
    expect(questions.map(shotsBy(estimate)).filter((k) => k < 5)).toHaveLength(3)
    expect(run.output).toMatch(/tokens exact \(the tokenizer of /)
  })

  test('without it, the upper bound: the shots kept are the most that certainly fit, and every prompt does fit', async () => {
    const run = await runVitest(['evals/high_school_computer_science'], { env: { OLLAMA_HOST: server.url, OLLAMA_MODELS: emptyStore, MMLU_DATA_DIR: REAL_DATA_DIR, MMLU_CONCURRENCY: '4' } })
    expect(run.code, run.output).toBe(0)
    const shots = run.results!.records.map((r) => r.shots)
    // The bound, written here: a token at most per UTF-8 byte, plus BOS and a dummy-prefix space ('héllo': 6 bytes, 8).
    const bytes = (t: string) => Buffer.byteLength(t, 'utf8') + 2
    expect(tokenUpperBound('héllo')).toBe(8)
    expect(shots).toEqual(questions.map(shotsBy(bytes)))
    for (const [i, q] of questions.entries()) expect(exact(fewShotPrefix('high_school_computer_science', dev, shots[i]!) + formatQuestion(q)) + 1).toBeLessThanOrEqual(CONTEXT)
    expect(shots.filter((k) => k < 5).length).toBeGreaterThan(0)
    expect(run.output).toMatch(/tokens upper bound \(UTF-8 bytes\), because llama3\.2:1b is not in a local Ollama store/)
    expect(run.output).toMatch(/5-shot \(\d+ questions? with fewer/)
  })
})
