// The GGUF writer and the generated test models, checked byte by byte and through the real
// engine (node-llama-cpp on CPU, 2 threads).
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getLlama, LlamaLogLevel, readGgufFileInfo } from 'node-llama-cpp'
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeF16, encodeQ8_0, f32ToF16Bits } from '../fixtures/gguf/encode.js'
import { LETTERS, randomModel, writeModel } from '../fixtures/gguf/models.js'
import type { Letter } from '../fixtures/gguf/models.js'
import { letterVocabulary } from '../fixtures/gguf/vocab.js'
import { GGUF_MAGIC, kv, layoutGguf, writeGguf } from '../fixtures/gguf/writer.js'
import type { GgufFile } from '../fixtures/gguf/writer.js'
import { fixtureModelPath } from '../fixtures/models.js'
import type { FixtureModelName } from '../fixtures/models.js'

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'gguf-test-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

describe('tensor encoders', () => {
  it('encodes a Q8_0 block as f16 scale + 32 int8, rounding halves away from zero', () => {
    // max|x| = 127/64, so d = 1/64 exactly (f16 0x2400) and q = x·64.
    const q = [127, -127, 0, 1, -1, 3, -3, 64, -64, 100, -100, 10, -10, 20, -20, 30, -30,
      40, -40, 50, -50, 60, -60, 70, -70, 80, -80, 90, -90, 110, -110, 126]
    const x = Float32Array.from(q, (v) => v / 64)
    x[2] = 0.49 / 64 // rounds to 0
    x[3] = 1.2 / 64 // rounds to 1
    x[5] = 2.5 / 64 // a half: 3, not 2
    x[6] = -2.5 / 64 // a half: -3 (Math.round would give -2)
    const expected = Buffer.from(
      '0024' + '7f81' + '00' + '01ff' + '03fd' + '40c0' + '649c' + '0af6' + '14ec' + '1ee2' +
        '28d8' + '32ce' + '3cc4' + '46ba' + '50b0' + '5aa6' + '6e92' + '7e',
      'hex',
    )
    expect(expected.length).toBe(34)
    expect(encodeQ8_0(x)).toEqual(expected)
  })

  it('encodes an all-zero Q8_0 block as 34 zero bytes, and rejects partial blocks', () => {
    expect(encodeQ8_0(new Float32Array(64))).toEqual(Buffer.alloc(68))
    expect(() => encodeQ8_0(new Float32Array(33))).toThrow(/multiple of 32/)
  })

  it('rounds f32 to f16 to nearest even, with subnormals and overflow', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00)
    expect(f32ToF16Bits(-2)).toBe(0xc000)
    expect(f32ToF16Bits(0.1)).toBe(0x2e66)
    expect(f32ToF16Bits(65504)).toBe(0x7bff)
    expect(f32ToF16Bits(65520)).toBe(0x7c00) // halfway to the next: rounds to even = infinity
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001)
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000) // halfway to the smallest subnormal: even = 0
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00) // halfway between 1 and 1+2^-10: even
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02)
    expect([...encodeF16(Float32Array.of(1, -0.5))]).toEqual([0x00, 0x3c, 0x00, 0xb8])
  })
})

/** Reads a dotted key from node-llama-cpp's nested metadata object. */
function metadataAt(metadata: object, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], metadata)
}

describe('GGUF writer', () => {
  const file: GgufFile = {
    metadata: {
      'test.u8': kv.u8(200),
      'test.i8': kv.i8(-5),
      'test.u16': kv.u16(60000),
      'test.i16': kv.i16(-300),
      'test.u32': kv.u32(4_000_000_000),
      'test.i32': kv.i32(-7),
      'test.u64': kv.u64(2n ** 40n),
      'test.i64': kv.i64(-3),
      'test.f32': kv.f32(0.5),
      'test.f64': kv.f64(0.1),
      'test.bool': kv.bool(true),
      'test.string': kv.string('héllo ▁world'),
      'test.strings': kv.strings(['a', '▁b', '']),
      'test.f32s': kv.f32s([1.5, -2]),
      'test.i32s': kv.i32s(Int32Array.of(-1, 2, 3)),
      'test.bools': kv.bools([true, false]),
    },
    tensors: [
      { name: 'a', dims: [3], type: 'f32', data: Float32Array.of(1, 2, 3) },
      { name: 'b', dims: [4, 2], type: 'f16', data: Float32Array.of(1, 2, 3, 4, -1, -2, -3, -4) },
      {
        name: 'c',
        dims: [32, 2],
        type: 'q8_0',
        // Chunks that straddle Q8_0 blocks: the writer must regroup them.
        data: function* () {
          const all = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i))
          yield all.subarray(0, 5)
          yield all.subarray(5, 45)
          yield all.subarray(45)
        },
      },
    ],
  }

  it('writes the header: magic, version, tensor and KV counts, aligned data section', () => {
    const { header, offsets, fileSize } = layoutGguf(file)
    expect(header.readUInt32LE(0)).toBe(GGUF_MAGIC)
    expect(header.subarray(0, 4).toString('latin1')).toBe('GGUF')
    expect(header.readUInt32LE(4)).toBe(3)
    expect(header.readBigUInt64LE(8)).toBe(3n)
    expect(header.readBigUInt64LE(16)).toBe(17n) // 16 KVs + general.alignment
    expect(header.length % 32).toBe(0)
    expect(offsets).toEqual([0, 32, 64]) // 12 B and 16 B of data, each padded to 32
    expect(fileSize).toBe(header.length + 64 + 96) // 2 Q8_0 blocks = 68 B, padded to 96
  })

  it('round-trips every KV type and the tensor infos through node-llama-cpp’s own parser', async () => {
    const path = join(scratch, 'kinds.gguf')
    const { fileSize } = await writeGguf(path, file)
    expect((await stat(path)).size).toBe(fileSize)
    const info = await readGgufFileInfo(path, { logWarnings: false })
    expect(info.version).toBe(3)
    const expectedValues: Record<string, unknown> = {
      'test.u8': 200, 'test.i8': -5, 'test.u16': 60000, 'test.i16': -300, 'test.u32': 4_000_000_000,
      'test.i32': -7, 'test.f32': 0.5, 'test.bool': true, 'test.string': 'héllo ▁world',
      'test.strings': ['a', '▁b', ''], 'test.f32s': [1.5, -2], 'test.i32s': [-1, 2, 3],
      'test.bools': [true, false], 'general.alignment': 32,
    }
    for (const [key, value] of Object.entries(expectedValues)) expect(metadataAt(info.metadata, key), key).toEqual(value)
    expect(BigInt(metadataAt(info.metadata, 'test.u64') as bigint)).toBe(2n ** 40n)
    expect(BigInt(metadataAt(info.metadata, 'test.i64') as bigint)).toBe(-3n)
    expect(metadataAt(info.metadata, 'test.f64')).toBeCloseTo(0.1, 15)

    const tensors = info.fullTensorInfo ?? []
    expect(tensors.map((t) => [t.name, t.dimensions.map(Number), t.ggmlType])).toEqual([
      ['a', [3], 0], ['b', [4, 2], 1], ['c', [32, 2], 8],
    ])
    const bytes = await readFile(path)
    const at = (name: string): number => Number(tensors.find((t) => t.name === name)!.fileOffset)
    expect(bytes.subarray(at('a'), at('a') + 12)).toEqual(Buffer.from(Float32Array.of(1, 2, 3).buffer))
    expect(bytes.subarray(at('b'), at('b') + 4).readUInt16LE(2)).toBe(0x4000) // 2.0 in f16
    const whole = encodeQ8_0(Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)))
    expect(bytes.subarray(at('c'), at('c') + 68)).toEqual(whole)
  })

  it('rejects a tensor whose data does not match its dims, leaving no file behind', async () => {
    const path = join(scratch, 'short.gguf')
    const short: GgufFile = {
      metadata: {},
      tensors: [{ name: 'x', dims: [64], type: 'f32', data: function* () { yield new Float32Array(40) } }],
    }
    await expect(writeGguf(path, short)).rejects.toThrow(/40 values for 64/)
    await expect(stat(path)).rejects.toThrow()
    expect(() => layoutGguf({ metadata: {}, tensors: [{ name: 'q', dims: [16, 2], type: 'q8_0', data: new Float32Array(32) }] }))
      .toThrow(/dims\[0\] % 32/)
  })

  it('writes the same bytes every time', async () => {
    const spec = randomModel({ blocks: 1, embd: 64, heads: 2, ff: 128, type: 'q8_0', seed: 7 })
    const digests: string[] = []
    for (const name of ['one.gguf', 'two.gguf']) {
      await writeModel(spec, join(scratch, name))
      digests.push(createHash('sha256').update(await readFile(join(scratch, name))).digest('hex'))
    }
    expect(digests[0]).toBe(digests[1])
  })
})

describe('generated models in node-llama-cpp', () => {
  let llama: Llama

  beforeAll(async () => {
    llama = await getLlama({ gpu: false, maxThreads: 2, logLevel: LlamaLogLevel.error })
  })
  afterAll(async () => {
    await llama?.dispose()
  })

  interface LoadedModel {
    readonly model: LlamaModel
    readonly context: LlamaContext
    readonly sequence: LlamaContextSequence
  }
  const loaded: LoadedModel[] = []
  afterAll(async () => {
    for (const { model, context } of loaded) {
      await context.dispose()
      await model.dispose()
    }
  })

  async function load(name: FixtureModelName): Promise<LoadedModel> {
    const model = await llama.loadModel({ modelPath: await fixtureModelPath(name) })
    const context = await model.createContext({ contextSize: 512, threads: 2 })
    const entry = { model, context, sequence: context.getSequence() }
    loaded.push(entry)
    return entry
  }

  function promptTokens(model: LlamaModel, text: string): Token[] {
    const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? [model.tokens.bos] : []
    return [...bos, ...model.tokenize(text)]
  }

  /** The extra token of "Answer: X" over "Answer:", for each letter. */
  function letterTokens(model: LlamaModel): Record<Letter, Token> {
    const base = model.tokenize('Answer:')
    const ids = LETTERS.map((letter) => {
      const withLetter = model.tokenize(`Answer: ${letter}`)
      expect(withLetter.slice(0, base.length)).toEqual(base)
      expect(withLetter.length).toBe(base.length + 1)
      return [letter, withLetter.at(-1)!] as const
    })
    return Object.fromEntries(ids) as Record<Letter, Token>
  }

  /** One forward pass over the prompt; the greedy next token and the full distribution. */
  async function nextToken({ sequence }: LoadedModel, tokens: Token[]): Promise<{ token: Token; probabilities: Map<Token, number> }> {
    await sequence.clearHistory()
    const last = tokens.at(-1)!
    const results = await sequence.controlledEvaluate([
      ...tokens.slice(0, -1),
      [last, { generateNext: { probabilities: true, token: true, options: { temperature: 0 } } }],
    ])
    const next = results.at(-1)?.next
    if (next?.token == null || !next.probabilities) throw new Error('no next-token output')
    return { token: next.token, probabilities: next.probabilities }
  }

  const PROMPTS = [
    'Which planet is known as the red planet?\nA. Venus\nB. Mars\nC. Jupiter\nD. Saturn\nAnswer:',
    'The following is a question about cooking.\n\nHow long should an egg boil to be hard?\nA. 1 minute\nB. 10 minutes\nC. 1 hour\nD. 1 day\nAnswer:',
  ]

  for (const letter of LETTERS) {
    it(`fixed-${letter} answers " ${letter}" greedily whatever the prompt`, async () => {
      const loadedModel = await load(`fixed-${letter}`)
      const { model } = loadedModel
      const letters = letterTokens(model)
      for (const prompt of PROMPTS) {
        const tokens = promptTokens(model, prompt)
        const { token, probabilities } = await nextToken(loadedModel, tokens)
        expect(token).toBe(letters[letter])
        expect(model.detokenize([token], false, tokens)).toBe(` ${letter}`)
        expect(probabilities.get(token)).toBeGreaterThan(0.999)
      }
    })
  }

  const LOGITS = { A: 1, B: 3, C: 2, D: 0 } as const
  /** softmax over the whole vocabulary: the four letters, and -10 for every other token. */
  function analyticSoftmax(vocabSize: number): Record<Letter, number> {
    const z = LETTERS.reduce((sum, l) => sum + Math.exp(LOGITS[l]), 0) + (vocabSize - 4) * Math.exp(-10)
    return Object.fromEntries(LETTERS.map((l) => [l, Math.exp(LOGITS[l]) / z])) as Record<Letter, number>
  }

  for (const name of ['logits-1-3-2-0', 'logits-1-3-2-0-f16', 'logits-1-3-2-0-q8_0'] as const) {
    it(`${name} gives the analytic softmax of (1, 3, 2, 0) over the letters`, async () => {
      const loadedModel = await load(name)
      const letters = letterTokens(loadedModel.model)
      const expected = analyticSoftmax(letterVocabulary().tokens.length)
      const { token, probabilities } = await nextToken(loadedModel, promptTokens(loadedModel.model, PROMPTS[0]!))
      expect(probabilities.size).toBe(letterVocabulary().tokens.length)
      expect(token).toBe(letters.B)
      const rounded = [0.087, 0.644, 0.237, 0.032]
      for (const [i, letter] of LETTERS.entries()) {
        const p = probabilities.get(letters[letter])!
        expect(Math.abs(p - expected[letter]), `${letter}: ${p} vs ${expected[letter]}`).toBeLessThan(1e-3)
        expect(Math.abs(p - rounded[i]!)).toBeLessThan(1e-3)
      }
    })
  }

  const PARAGRAPH =
    'Every spring the river rises over its banks, and the farmers who live near the water move ' +
    'their animals to higher ground. A central bank can lower interest rates to encourage borrowing, ' +
    'but if prices are already rising quickly, cheaper credit may push inflation even higher.'

  it('random-small loads, tokenizes English at ≥ 3 chars/token, and evaluates', async () => {
    const loadedModel = await load('random-small')
    const { model } = loadedModel
    const charsPerToken = PARAGRAPH.length / model.tokenize(PARAGRAPH).length
    expect(charsPerToken).toBeGreaterThanOrEqual(3)
    expect(model.detokenize(model.tokenize(PARAGRAPH))).toBe(PARAGRAPH)
    const { probabilities } = await nextToken(loadedModel, promptTokens(model, PROMPTS[0]!))
    const total = [...probabilities.values()].reduce((a, b) => a + b, 0)
    expect(total).toBeCloseTo(1, 3)
    expect(Number.isFinite(probabilities.values().next().value)).toBe(true)
  })

  it('random-small-q8_0 computes the same logits as random-small (f16), up to quantization', async () => {
    const f16 = await load('random-small')
    const q8 = await load('random-small-q8_0')
    const tokens = promptTokens(f16.model, PROMPTS[1]!)
    expect(promptTokens(q8.model, PROMPTS[1]!)).toEqual(tokens)
    const [a, b] = await Promise.all([nextToken(f16, tokens), nextToken(q8, tokens)])
    // Log-probabilities are logits up to a constant, so their correlation compares the logits.
    const ids = [...a.probabilities.keys()]
    const la = ids.map((t) => Math.log(a.probabilities.get(t)!))
    const lb = ids.map((t) => Math.log(b.probabilities.get(t)!))
    expect(correlation(la, lb)).toBeGreaterThan(0.99)
  })
})

function correlation(x: number[], y: number[]): number {
  const mean = (v: number[]): number => v.reduce((s, e) => s + e, 0) / v.length
  const mx = mean(x)
  const my = mean(y)
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my)
    sxx += (x[i]! - mx) ** 2
    syy += (y[i]! - my) ** 2
  }
  return sxy / Math.sqrt(sxx * syy)
}
