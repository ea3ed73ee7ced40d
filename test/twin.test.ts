// The Llama 3.2 1B twin generator (fixtures/gguf/twin.ts): the full-size
// description has Llama 3.2 1B's exact shapes, and a scaled-down twin written
// to disk has the right tensors, Q8_0 blocks, metadata and real Llama 3
// tokenizer, as node-llama-cpp reads and runs it.
import { open, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getLlama, LlamaLogLevel, readGgufFileInfo } from 'node-llama-cpp'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { encodeQ8_0, Q8_0_BLOCK_BYTES, Q8_0_BLOCK_VALUES } from '../fixtures/gguf/encode.js'
import { llama3Encode } from '../fixtures/gguf/llama3-vocab.js'
import { ensureTwin, llama32TwinSpec, llama3RopeFactors, pooledValues } from '../fixtures/gguf/twin.js'
import { layoutGguf } from '../fixtures/gguf/writer.js'
import type { GgufModelSpec } from '../fixtures/gguf/llama.js'
import { fewShotPrefix } from '../src/prompt/prompt.js'
import type { Question } from '../src/dataset/question.js'

const meta = (spec: GgufModelSpec, key: string): unknown => spec.metadata[key]?.value
const count = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1)

describe('full-size twin description (nothing written)', () => {
  const spec = llama32TwinSpec()
  const dims = new Map(spec.tensors.map((t) => [t.name, t.dims]))

  test('Llama 3.2 1B shapes: 16 blocks of 2048 wide, 32 heads over 8 KV heads, n_ff 8192, tied 128,256-token embedding', () => {
    expect(spec.tensors).toHaveLength(1 + 1 + 16 * 9 + 1) // rope_freqs, token_embd, 16 blocks, output_norm
    expect(dims.get('token_embd.weight')).toEqual([2048, 128256])
    expect(dims.has('output.weight')).toBe(false)
    for (let b = 0; b < 16; b++) {
      expect(dims.get(`blk.${b}.attn_q.weight`)).toEqual([2048, 2048])
      expect(dims.get(`blk.${b}.attn_k.weight`)).toEqual([2048, 512]) // 8 KV heads × 64
      expect(dims.get(`blk.${b}.attn_v.weight`)).toEqual([2048, 512])
      expect(dims.get(`blk.${b}.attn_output.weight`)).toEqual([2048, 2048])
      expect(dims.get(`blk.${b}.ffn_gate.weight`)).toEqual([2048, 8192])
      expect(dims.get(`blk.${b}.ffn_up.weight`)).toEqual([2048, 8192])
      expect(dims.get(`blk.${b}.ffn_down.weight`)).toEqual([8192, 2048])
      expect(dims.get(`blk.${b}.attn_norm.weight`)).toEqual([2048])
    }
    expect(dims.get('rope_freqs.weight')).toEqual([32])
    // Meta's published parameter count of Llama 3.2 1B.
    const params = spec.tensors.filter((t) => t.name !== 'rope_freqs.weight').reduce((n, t) => n + count(t.dims), 0)
    expect(params).toBe(1_235_814_400)
  })

  test('Q8_0 matrices, F32 norms; metadata as the real GGUF', () => {
    for (const t of spec.tensors) expect([t.name, t.type]).toEqual([t.name, t.dims.length === 1 ? 'f32' : 'q8_0'])
    expect(meta(spec, 'general.file_type')).toBe(7) // MOSTLY_Q8_0
    expect(meta(spec, 'llama.context_length')).toBe(131072)
    expect(meta(spec, 'llama.rope.freq_base')).toBe(500000)
    expect(meta(spec, 'llama.attention.head_count')).toBe(32)
    expect(meta(spec, 'llama.attention.head_count_kv')).toBe(8)
    expect(meta(spec, 'llama.vocab_size')).toBe(128256)
    expect(meta(spec, 'tokenizer.ggml.model')).toBe('gpt2')
    expect(meta(spec, 'tokenizer.ggml.pre')).toBe('llama-bpe')
    expect((meta(spec, 'tokenizer.ggml.merges') as string[]).length).toBe(280147)
    expect(meta(spec, 'tokenizer.ggml.scores')).toBeUndefined()
  })

  test('about 1.3 GB: every matrix in 34-byte blocks of 32 values', () => {
    const { header, fileSize } = layoutGguf(spec)
    const q8 = spec.tensors.filter((t) => t.type === 'q8_0').reduce((n, t) => n + (count(t.dims) / 32) * 34, 0)
    const f32 = spec.tensors.filter((t) => t.type === 'f32').reduce((n, t) => n + count(t.dims) * 4, 0)
    // Every tensor here is a multiple of 32 bytes long, so alignment adds nothing.
    expect(fileSize).toBe(header.length + q8 + f32)
    expect(fileSize / 1e9).toBeCloseTo(1.32, 2)
  })

  test('Llama 3 RoPE scaling factors (factor 32, low 1, high 4, original context 8192)', () => {
    const f = llama3RopeFactors(64, 500000)
    expect(f[0]).toBe(1) // short wavelengths are not scaled
    expect(f[31]).toBe(32) // long ones by the full factor
    expect(f.filter((v) => v > 1 && v < 32).length).toBeGreaterThan(0) // and a smooth band between
  })
})

describe('a scaled-down twin on disk', () => {
  const shape = { blocks: 2, embd: 64, heads: 2, kvHeads: 1, ff: 128 }
  const spec = llama32TwinSpec({ shape, name: 'twin-test' })
  let dir: string
  let path: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'twin-test-'))
    path = (await ensureTwin(join(dir, 'twin.gguf'), { shape, name: 'twin-test' })).path
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  test('node-llama-cpp reads the same tensors, dims and types back', async () => {
    const info = await readGgufFileInfo(path, { logWarnings: false })
    const tensors = info.tensorInfo!.map((t) => [t.name, t.dimensions.map(Number), t.ggmlType])
    expect(tensors).toEqual(spec.tensors.map((t) => [t.name, [...t.dims], t.type === 'q8_0' ? 8 : 0]))
    expect(tensors).toContainEqual(['blk.1.attn_k.weight', [64, 32], 8])
    expect(tensors).toContainEqual(['token_embd.weight', [64, 128256], 8])
    expect((await stat(path)).size).toBe(layoutGguf(spec).fileSize)
  })

  test('Q8_0 block layout: f16 scale then 32 int8, the tensor cycling through its seeded pool', async () => {
    const { header, offsets } = layoutGguf(spec)
    const fh = await open(path, 'r')
    try {
      for (const name of ['blk.0.attn_q.weight', 'blk.1.ffn_down.weight', 'token_embd.weight']) {
        const i = spec.tensors.findIndex((t) => t.name === name)
        const tensor = spec.tensors[i]!
        const n = count(tensor.dims)
        const blocks = n / Q8_0_BLOCK_VALUES
        const values = new Float32Array(n)
        let at = 0
        for (const chunk of pooledValues(n, name, 1, 0.02)) {
          values.set(chunk, at)
          at += chunk.length
        }
        const onDisk = Buffer.alloc(blocks * Q8_0_BLOCK_BYTES)
        await fh.read(onDisk, 0, onDisk.length, header.length + offsets[i]!)
        expect(onDisk.equals(encodeQ8_0(values)), name).toBe(true)
        // Dense weights: no all-zero block that a kernel could skip.
        const scale = onDisk.readUInt16LE(0)
        expect(scale).not.toBe(0)
        expect(onDisk.subarray(2, 34).some((b) => b !== 0)).toBe(true)
      }
    } finally {
      await fh.close()
    }
  })

  test('llama.cpp loads and runs it, with the metadata written, and tokenizes exactly as Llama 3', async () => {
    const info = await readGgufFileInfo(path, { logWarnings: false })
    expect(info.architectureMetadata).toMatchObject({
      context_length: 131072,
      block_count: 2,
      embedding_length: 64,
      feed_forward_length: 128,
      attention: { head_count: 2, head_count_kv: 1 },
      rope: { freq_base: 500000 },
    })
    const llama = await getLlama({ gpu: false, maxThreads: 2, logLevel: LlamaLogLevel.error, build: 'never' })
    try {
      const model = await llama.loadModel({ modelPath: path })
      expect([model.trainContextSize, model.tokens.bos, model.tokens.eos, model.tokens.shouldPrependBosToken]).toEqual([131072, 128000, 128009, true])
      const dev: Question[] = [{ subject: 'astronomy', split: 'dev', index: 0, question: 'What is 2+2?  Éléphant naïve 日本語 🙂', choices: ['3', '4', 'x=1,234.5e-6', '\tTab'], answer: 'B' }]
      const prompt = `${fewShotPrefix('astronomy', dev, 1)}Is it?\nA. a\nB. b\nC. c\nD. d\nAnswer:`
      for (const text of [prompt, "It's   spaced\n\n\nlines 12345 don't"]) expect(model.tokenize(text)).toEqual(llama3Encode(text))
      // The answer letters are single tokens after "Answer:", as log-prob scoring needs.
      expect(model.tokenize('Answer: A Answer: B Answer: C Answer: D')).toEqual([16533, 25, 362, 22559, 25, 426, 22559, 25, 356, 22559, 25, 423])
      // One forward pass: the random weights give a finite distribution.
      const context = await model.createContext({ contextSize: 256, threads: 2 })
      const tokens = [model.tokens.bos!, ...model.tokenize(prompt)]
      const last = tokens.pop()!
      const out = await context.getSequence().controlledEvaluate([...tokens, [last, { generateNext: { probabilities: true } }]])
      const probabilities = out.at(-1)!.next!.probabilities!
      expect(probabilities.size).toBeGreaterThan(0)
      expect([...probabilities.values()].every(Number.isFinite)).toBe(true)
    } finally {
      await llama.dispose()
    }
  })
})
