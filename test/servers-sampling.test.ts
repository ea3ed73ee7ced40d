// Sampling on the server backends (issue 15 item 3): generate scoring above
// temperature 0 sends each ask's temperature and seed with its request, over
// the whole vocabulary (Ollama: top_k 0, top_p 1; OpenAI: top_p 1); without
// sampling every request stays greedy with the run's seed, as before.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import type { ModelServer } from '../fixtures/servers/model-server.js'
import { DEFAULT_MODEL, startModelServer } from '../fixtures/servers/model-server.js'
import type { Engine, SessionRequest } from '../src/backends/backend.js'
import { openOllamaEngine } from '../src/backends/ollama.js'
import { openOpenAIEngine } from '../src/backends/openai.js'
import type { Prompt } from '../src/prompt/prompt.js'

let server: ModelServer
beforeAll(async () => {
  server = await startModelServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

const prompt: Prompt = { prefix: 'The following are multiple choice questions (with answers) about astronomy.\n\n', suffix: 'Q?\nA. a\nB. b\nC. c\nD. d\nAnswer:', shots: 0 }
const sampled: Prompt = { ...prompt, sampling: { temperature: 0.7, seed: 123456 } }
const generate: SessionRequest = { scoring: 'generate', concurrency: 1, promptTokens: 100, maxTokens: 5 }

async function askBoth(engine: Engine): Promise<void> {
  const session = await engine.openSession(generate)
  const signal = new AbortController().signal
  await session.answer(prompt, signal)
  await session.answer(sampled, signal)
}

describe('Ollama', () => {
  for (const promptFormat of ['raw', 'chat'] as const) {
    test(`${promptFormat}: a sampled ask carries its temperature and seed, no top-k or top-p; a greedy one is as before`, async () => {
      await askBoth(openOllamaEngine({ host: server.url, model: 'llama3.2:1b', reason: 'test', version: '0.12.11', facts: { contextLength: 131072 }, promptFormat, keepAlive: '30m', seed: 7, wantLogprobs: false }))
      const [greedy, warm] = server.inference()
      expect(greedy!.body!.options).toEqual({ temperature: 0, seed: 7, num_predict: 5, num_ctx: 8192 })
      expect(warm!.body!.options).toEqual({ temperature: 0.7, seed: 123456, top_k: 0, top_p: 1, num_predict: 5, num_ctx: 8192 })
    })
  }
})

describe('OpenAI-compatible', () => {
  for (const promptFormat of ['raw', 'chat'] as const) {
    test(`${promptFormat}: a sampled ask carries its temperature and seed and top_p 1; a greedy one is as before`, async () => {
      await askBoth(await openOpenAIEngine({ baseUrl: `${server.url}/v1`, model: DEFAULT_MODEL.name, reason: 'test', apiKey: undefined, promptFormat, seed: 7, timeoutMs: 10_000, wantLogprobs: false }))
      const [greedy, warm] = server.inference()
      expect(greedy!.body).toMatchObject({ temperature: 0, seed: 7, max_tokens: 5 })
      expect(greedy!.body).not.toHaveProperty('top_p')
      expect(warm!.body).toMatchObject({ temperature: 0.7, seed: 123456, top_p: 1, max_tokens: 5 })
    })
  }
})
