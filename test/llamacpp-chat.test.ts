// The embedded engine's chat format and sampling (issue 15 items 3 and 4):
// - MMLU_PROMPT_FORMAT=chat sends the prompt as chat turns (each few-shot
//   example a user turn, its letter the assistant's) through the
//   model's own GGUF chat template: on the Llama 3.2 twin (real Llama 3
//   vocabulary, Llama 3.2's chat template) the tokens it evaluates equal the
//   template rendered here by hand and tokenized as a server does;
// - a model without a template is a clear error naming the option;
// - generate scoring above temperature 0 samples with the ask's seed: the same
//   seed gives the same reply, other seeds other replies.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LlamaContextSequence } from 'node-llama-cpp'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { LLAMA32_CHAT_TEMPLATE } from '../fixtures/gguf/llama32-chat-template.js'
import { llama3Encode } from '../fixtures/gguf/llama3-vocab.js'
import { ensureTwin } from '../fixtures/gguf/twin.js'
import { fixtureModelPath } from '../fixtures/models.js'
import { openLlamaCppEngine } from '../src/backends/llamacpp.js'
import { CHAT_DATE } from '../src/backends/llamacpp-chat.js'
import { loadSubject } from '../src/dataset/load.js'
import type { Prompt } from '../src/prompt/prompt.js'
import { buildPrompt, formatQuestion, header, promptText } from '../src/prompt/prompt.js'
import { deriveSeed } from '../src/base/random.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'

/** Llama 3's special tokens, by id (Meta's tokenizer config). */
const SPECIAL: Record<string, number> = { '<|begin_of_text|>': 128000, '<|start_header_id|>': 128006, '<|end_header_id|>': 128007, '<|eot_id|>': 128009 }

/** Meta's Llama 3.2 prompt format for a dialogue (user, assistant, …, user), written out by hand (no template engine). */
function llama32Chat(turns: readonly string[], date: string): string {
  return (
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n' +
    `Cutting Knowledge Date: December 2023\nToday Date: ${date}\n\n<|eot_id|>` +
    turns.map((text, i) => `<|start_header_id|>${i % 2 === 0 ? 'user' : 'assistant'}<|end_header_id|>\n\n${text.trim()}<|eot_id|>`).join('') +
    '<|start_header_id|>assistant<|end_header_id|>\n\n'
  )
}

/** Tokens of a rendered chat prompt as a server makes them: special tokens by name, the text between by Llama 3's BPE. */
function serverTokens(rendered: string): number[] {
  const out: number[] = []
  for (const part of rendered.split(/(<\|[a-z_]+\|>)/)) {
    if (part === '') continue
    out.push(...(part in SPECIAL ? [SPECIAL[part]!] : llama3Encode(part)))
  }
  return out
}

async function astronomyPrompt(): Promise<Prompt> {
  const { dev, test: questions } = await loadSubject(FIXTURE_DATA_DIR, 'astronomy', { allowPartial: true })
  return buildPrompt('astronomy', dev, questions[3]!, 2)
}

describe('chat format on the Llama 3.2 twin', () => {
  let dir: string
  let path: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'twin-chat-'))
    path = (await ensureTwin(join(dir, 'twin.gguf'), { shape: { blocks: 2, embd: 64, heads: 2, kvHeads: 1, ff: 128 }, name: 'twin-chat', chatTemplate: LLAMA32_CHAT_TEMPLATE })).path
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  test('the engine evaluates exactly the Llama 3.2 chat rendering of the prompt, its two examples as user/assistant turns (issue 21 item 5), dated CHAT_DATE', async () => {
    const evaluated: number[][] = []
    // Record what is evaluated, then let the real method run.
    const original = LlamaContextSequence.prototype.controlledEvaluate
    const recording = vi.spyOn(LlamaContextSequence.prototype, 'controlledEvaluate').mockImplementation(function (this: LlamaContextSequence, input, options) {
      evaluated.push(input.map((item) => (Array.isArray(item) ? item[0] : item) as number))
      return original.call(this, input, options)
    })
    try {
      const prompt = await astronomyPrompt()
      const { dev } = await loadSubject(FIXTURE_DATA_DIR, 'astronomy', { allowPartial: true })
      const engine = await openLlamaCppEngine({ modelPath: path, reason: 'test', gpu: 'off', threads: 1, workers: 1, promptFormat: 'chat' })
      // Header and first example; its letter; the second example; its letter; the question.
      const turns = [header('astronomy') + formatQuestion(dev[0]!), dev[0]!.answer, formatQuestion(dev[1]!), dev[1]!.answer, prompt.suffix]
      const expected = serverTokens(llama32Chat(turns, CHAT_DATE))
      expect(CHAT_DATE).toBe('26 Jul 2024')
      // Context fitting counts the same tokens the engine will evaluate.
      expect(engine.countTokens!(prompt)).toBe(expected.length)
      // A string is one user message.
      expect(engine.countTokens!(promptText(prompt))).toBe(serverTokens(llama32Chat([promptText(prompt)], CHAT_DATE)).length)
      const session = await engine.openSession({ scoring: 'generate', concurrency: 1, maxTokens: 3, promptTokens: expected.length })
      const raw = await session.answer(prompt, new AbortController().signal)
      await session.close()
      expect(evaluated[0]).toEqual(expected)
      expect(raw.promptTokens).toBe(expected.length)
      expect(engine.info.details.prompt).toBe('chat (GGUF template)')
    } finally {
      recording.mockRestore()
    }
  }, 60_000)
})

describe('chat format without a template', () => {
  test('a model whose GGUF has no chat template is one clear error naming MMLU_PROMPT_FORMAT', async () => {
    const modelPath = await fixtureModelPath('fixed-C')
    await expect(openLlamaCppEngine({ modelPath, reason: 'test', gpu: 'off', threads: 1, workers: 1, promptFormat: 'chat' })).rejects.toThrow(
      /MMLU_PROMPT_FORMAT=chat: fixed-C\.gguf has no chat template \(no tokenizer\.chat_template in its GGUF\).*Fix: use MMLU_PROMPT_FORMAT=raw/,
    )
  })
})

describe('generate scoring at a temperature on the embedded engine', () => {
  test('the same seed gives the same reply; other seeds other replies; greedy ignores the seed', async () => {
    const engine = await openLlamaCppEngine({ modelPath: await fixtureModelPath('random-small'), reason: 'test', gpu: 'off', threads: 1, workers: 1 })
    const prompt = await astronomyPrompt()
    const session = await engine.openSession({ scoring: 'generate', concurrency: 1, maxTokens: 6, promptTokens: engine.countTokens!(promptText(prompt)) })
    const signal = new AbortController().signal
    const reply = async (p: Prompt) => (await session.answer(p, signal)).text
    try {
      // Every ask below then takes the same path (the prompt reused, its last token evaluated alone):
      // a prompt evaluated in one batch gives probabilities that differ by ~1e-6, which can move a draw.
      const greedy = await reply(prompt)
      const seeds = Array.from({ length: 6 }, (_, i) => deriveSeed(42, 'test', i))
      const first = await Promise.all(seeds.map((seed) => reply({ ...prompt, sampling: { temperature: 1, seed } })))
      const again = await Promise.all(seeds.map((seed) => reply({ ...prompt, sampling: { temperature: 1, seed } })))
      expect(again).toEqual(first)
      expect(new Set(first).size).toBeGreaterThan(1)
      expect(await reply(prompt)).toBe(greedy)
    } finally {
      await session.close()
    }
  }, 60_000)
})
