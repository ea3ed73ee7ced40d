// The Ollama and OpenAI-compatible engines in-process, against the loopback
// test server: the requests they send, how they read the letters, and how
// each kind of failure comes back (retryable or not, with a clear message).
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import type { ModelServer } from '../fixtures/servers/model-server.js'
import { closedPort, DEFAULT_MODEL, startModelServer } from '../fixtures/servers/model-server.js'
import type { Engine, RawAnswer, SessionRequest } from '../src/backends/backend.js'
import { openServerPool } from '../src/backends/dispatch.js'
import { checkSameWeights } from '../src/backends/index.js'
import { ServerError, TimeoutError } from '../src/backends/guard.js'
import type { OllamaEngineOptions } from '../src/backends/ollama.js'
import { compareVersions, MIN_NUM_CTX, numCtx, openOllamaEngine, renderPullProgress, supportsLogprobs } from '../src/backends/ollama.js'
import type { OpenAIEngineOptions } from '../src/backends/openai.js'
import { openOpenAIEngine } from '../src/backends/openai.js'
import { tokenUpperBound } from '../src/backends/ollama-tokens.js'
import { lettersFromTopLogprobs, redactUrl, scrub } from '../src/backends/server.js'
import { Secret } from '../src/config/secret.js'
import type { Question } from '../src/dataset/question.js'
import { letterFromProbabilities, scoreAnswer } from '../src/scoring/scoring.js'
import type { Prompt } from '../src/prompt/prompt.js'

let server: ModelServer
beforeAll(async () => {
  server = await startModelServer()
})
afterAll(() => server.close())
beforeEach(() => {
  server.reset()
  Object.assign(server.config, { answer: () => 'B', latencyMs: 0, slots: 4, fault: undefined, version: '0.12.11', openaiLogprobs: true, apiKey: undefined, letterForm: 'natural', letters: 'all', answerProbability: 0.6, topLogprobs: undefined })
})

const prompt: Prompt = { prefix: 'The following are multiple choice questions (with answers) about astronomy.\n\n', suffix: 'Q?\nA. a\nB. b\nC. c\nD. d\nAnswer:', shots: 0 }
const logprobSession: SessionRequest = { scoring: 'logprob', concurrency: 1, promptTokens: 100, maxTokens: 5 }
const generateSession: SessionRequest = { ...logprobSession, scoring: 'generate' }
const signal = () => new AbortController().signal

function ollama(overrides: Partial<OllamaEngineOptions> = {}): Engine {
  return openOllamaEngine({
    host: server.url,
    model: 'llama3.2:1b',
    reason: 'test',
    version: server.config.version,
    facts: { contextLength: 131072 },
    promptFormat: 'raw',
    keepAlive: '30m',
    seed: 7,
    wantLogprobs: true,
    ...overrides,
  })
}

async function ask(engine: Engine, request: SessionRequest = logprobSession, p: Prompt = prompt): Promise<RawAnswer> {
  const session = await engine.openSession(request)
  return session.answer(p, signal())
}

// A 2-shot prompt, and the turns a chat request must carry for it, written out by hand.
const HEADER = 'The following are multiple choice questions (with answers) about astronomy.\n\n'
const EXAMPLES = [
  { question: 'E1?\nA. a\nB. b\nC. c\nD. d\nAnswer:', answer: 'C' as const },
  { question: 'E2?\nA. a\nB. b\nC. c\nD. d\nAnswer:', answer: 'A' as const },
]
const twoShot: Prompt = { prefix: `${HEADER}${EXAMPLES[0]!.question} C\n\n${EXAMPLES[1]!.question} A\n\n`, suffix: prompt.suffix, shots: 2, fewShot: { header: HEADER, examples: EXAMPLES } }
const TWO_SHOT_TURNS = [
  { role: 'user', content: `${HEADER}E1?\nA. a\nB. b\nC. c\nD. d\nAnswer:` },
  { role: 'assistant', content: 'C' },
  { role: 'user', content: 'E2?\nA. a\nB. b\nC. c\nD. d\nAnswer:' },
  { role: 'assistant', content: 'A' },
  { role: 'user', content: 'Q?\nA. a\nB. b\nC. c\nD. d\nAnswer:' },
]

describe('reading the letters from top log-probs', () => {
  const top = (entries: Record<string, number>) => Object.entries(entries).map(([token, p]) => ({ token, logprob: Math.log(p) }))

  test('raw prompts read only the spaced letter (" A", "▁A", "ĠA"), as lm-eval scores it after "Answer:"; chat reads only the bare "A"', () => {
    const listed = top({ ' A': 0.3, A: 0.2, '▁B': 0.1, 'ĠC': 0.05, D: 0.04, ' Answer': 0.2, ' a': 0.1 })
    expect(lettersFromTopLogprobs(listed, 'spaced')).toEqual({ A: expect.closeTo(0.3, 12), B: expect.closeTo(0.1, 12), C: expect.closeTo(0.05, 12), D: 0 })
    expect(lettersFromTopLogprobs(listed, 'bare')).toEqual({ A: expect.closeTo(0.2, 12), B: 0, C: 0, D: expect.closeTo(0.04, 12) })
  })

  test('the two spellings are not added: {" B": .30, "A": .20, " A": .15} is B after a raw prompt (adding would give A)', () => {
    const p = lettersFromTopLogprobs(top({ ' B': 0.3, A: 0.2, ' A': 0.15 }), 'spaced')
    expect(letterFromProbabilities(p)).toEqual({ letter: 'B' })
    expect(p.A).toBeCloseTo(0.15, 12)
    // In a chat reply the bare letter is the answer's spelling: A.
    expect(letterFromProbabilities(lettersFromTopLogprobs(top({ ' B': 0.3, A: 0.2, ' A': 0.15 }), 'bare'))).toEqual({ letter: 'A' })
  })

  test("a letter beyond the question's options is not its answer: \" E\" listed first for an MMLU question is left out", () => {
    const p = lettersFromTopLogprobs(top({ ' E': 0.5, ' B': 0.3, ' A': 0.1 }), 'spaced')
    expect(p.E).toBeCloseTo(0.5, 12)
    const question: Question = { subject: 'astronomy', split: 'test', index: 0, question: 'q', choices: ['a', 'b', 'c', 'd'], answer: 'B' }
    expect(scoreAnswer(question, { probabilities: p, letterForm: 'spaced', text: ' E', promptTokens: 1, evaluatedTokens: 1, completionTokens: 1, startedAt: 0, latencyMs: 1 }, 0)).toMatchObject({ given: 'B', outcome: 'correct', letterForm: 'spaced' })
  })

  test('no letter in the list: all four 0, which scoring calls invalid', () => {
    expect(lettersFromTopLogprobs(top({ ' The': 0.5, ' It': 0.25 }), 'spaced')).toEqual({ A: 0, B: 0, C: 0, D: 0 })
  })
})

describe('Ollama engine', () => {
  test('log-prob scoring: raw /api/generate, num_predict 1, 20 top log-probs, temperature 0, the seed, num_ctx and keep_alive', async () => {
    const a = await ask(ollama())
    expect(a.probabilities!.B).toBeCloseTo(0.6, 12)
    expect(a.probabilities!.A).toBeCloseTo(0.1, 12)
    expect(a.text).toBe(' B')
    expect(a.promptTokens).toBe(Math.ceil(Buffer.byteLength(prompt.prefix + prompt.suffix) / 4))
    const [req] = server.inference()
    expect(req!.path).toBe('/api/generate')
    expect(req!.body).toEqual({
      model: 'llama3.2:1b',
      prompt: prompt.prefix + prompt.suffix,
      raw: true,
      stream: false,
      keep_alive: '30m',
      logprobs: true,
      top_logprobs: 20,
      options: { temperature: 0, seed: 7, num_predict: 1, num_ctx: MIN_NUM_CTX },
    })
  })

  test('generate scoring: num_predict = MMLU_MAX_TOKENS, no log-probs asked', async () => {
    server.config.reply = () => ' C. because'
    try {
      const a = await ask(ollama(), generateSession)
      expect(a).toMatchObject({ text: ' C. because', probabilities: undefined, completionTokens: 2 })
      expect(server.inference()[0]!.body).not.toHaveProperty('logprobs')
      expect(server.inference()[0]!.body!.options).toMatchObject({ num_predict: 5 })
    } finally {
      server.config.reply = undefined
    }
  })

  test('chat with few-shot examples (issue 21 item 5): /api/chat gets each example as a user turn and its letter as the assistant\'s, the question last', async () => {
    await ask(ollama({ promptFormat: 'chat' }), generateSession, twoShot)
    expect(server.inference()[0]!.body!.messages).toEqual(TWO_SHOT_TURNS)
  })

  test('chat: one user message on /api/chat at 0-shot; bare "B" tokens are read', async () => {
    const a = await ask(ollama({ promptFormat: 'chat' }))
    expect(a.probabilities!.B).toBeCloseTo(0.6, 12)
    expect(a.text).toBe('B')
    expect(server.inference()[0]!.body).toMatchObject({ messages: [{ role: 'user', content: prompt.prefix + prompt.suffix }], logprobs: true })
  })

  test('letters split between " B" and "B": a raw prompt reads " B" alone, a chat reply "B" alone; letters missing from the top 20 get 0', async () => {
    server.config.letterForm = 'split'
    expect(await ask(ollama())).toMatchObject({ probabilities: { B: expect.closeTo(0.3, 12), A: expect.closeTo(0.1, 12) }, letterForm: 'spaced' })
    // The chat reply's bare letters: only the answer is listed bare in this distribution.
    expect(await ask(ollama({ promptFormat: 'chat' }))).toMatchObject({ probabilities: { A: 0, B: expect.closeTo(0.3, 12), C: 0, D: 0 }, letterForm: 'bare' })
    server.config.letterForm = 'natural'
    server.config.letters = 'answer-only'
    expect((await ask(ollama())).probabilities).toEqual({ A: 0, B: expect.closeTo(0.6, 12), C: 0, D: 0 })
  })

  test('the form the reference scores: {" B": .30, "A": .20, " A": .15} reads B on a raw prompt, A in a chat reply', async () => {
    server.config.topLogprobs = () => [{ token: ' B', logprob: Math.log(0.3) }, { token: 'A', logprob: Math.log(0.2) }, { token: ' A', logprob: Math.log(0.15) }]
    const raw = await ask(ollama())
    expect(raw).toMatchObject({ probabilities: { A: expect.closeTo(0.15, 12), B: expect.closeTo(0.3, 12), C: 0, D: 0 }, letterForm: 'spaced', text: ' B' })
    const chat = await ask(ollama({ promptFormat: 'chat' }))
    expect(chat).toMatchObject({ probabilities: { A: expect.closeTo(0.2, 12), B: 0, C: 0, D: 0 }, letterForm: 'bare' })
    const openai = await openOpenAIEngine({ baseUrl: `${server.url}/v1`, model: DEFAULT_MODEL.name, reason: 'test', apiKey: undefined, promptFormat: 'raw', seed: 7, timeoutMs: 10_000, wantLogprobs: true })
    expect(await ask(openai)).toMatchObject({ probabilities: { A: expect.closeTo(0.15, 12), B: expect.closeTo(0.3, 12) }, letterForm: 'spaced' })
  })

  test('an older server: generate scoring only, one warning line; none when generate was asked for anyway', () => {
    const lines: string[] = []
    const engine = ollama({ version: '0.12.10', warn: (l) => lines.push(l) })
    expect(engine.scoringModes).toEqual(['generate'])
    expect(engine.info.details.logprobs).toBe('no (needs 0.12.11)')
    expect(lines).toEqual([`MMLU warning: Ollama 0.12.10 at ${server.url} returns no log-probs (they need 0.12.11 or later): scoring by generate.`])
    ollama({ version: '0.12.10', wantLogprobs: false, warn: (l) => lines.push(l) })
    expect(lines).toHaveLength(1)
    expect(ollama().scoringModes).toEqual(['logprob', 'generate'])
  })

  test('versions and context sizing', () => {
    expect(['0.12.11', '0.13.0', '1.0.0', 'v0.12.11'].every(supportsLogprobs)).toBe(true)
    expect(['0.12.10', '0.9.9', '0.0.0', 'garbage'].some(supportsLogprobs)).toBe(false)
    expect(compareVersions('0.12.11-rc1', '0.12.11')).toBe(0)
    // At least 8192 (one num_ctx for every file, so Ollama never reloads), a power of two, at most the model's context.
    expect(numCtx({ promptTokens: 3_000, scoring: 'logprob', maxTokens: 5 }, 131072)).toBe(8192)
    expect(numCtx({ promptTokens: 8_192, scoring: 'logprob', maxTokens: 5 }, 131072)).toBe(16384)
    expect(numCtx({ promptTokens: 3_000, scoring: 'logprob', maxTokens: 5 }, 4096)).toBe(4096)
    expect(numCtx({ promptTokens: undefined, scoring: 'generate', maxTokens: 5 }, undefined)).toBe(8192)
    // Without a tokenizer, an upper bound: one token a UTF-8 byte, plus BOS and a dummy-prefix space.
    expect([tokenUpperBound('word word'), tokenUpperBound('é')]).toEqual([11, 4])
  })

  test('pull progress renders a bar with percent and sizes', () => {
    expect(renderPullProgress({ status: 'pulling manifest' })).toBe('pulling manifest')
    expect(renderPullProgress({ status: 'pulling 74701a8c35f6', total: 1_300_000_000, completed: 325_000_000 })).toBe('pulling 74701a8c35f6 [######..................]  25% 325 MB/1.3 GB')
  })

  test.each([
    [{ status: 503 } as const, true, 503, /Ollama at http:\/\/127\.0\.0\.1:\d+ \/api\/generate: HTTP 503: server busy/],
    [{ status: 500, error: 'llama runner process has terminated' } as const, true, 500, /HTTP 500: llama runner process has terminated/],
    [{ status: 404, error: 'model "x" not found, try pulling it first' } as const, false, 404, /HTTP 404: model "x" not found/],
    ['drop' as const, true, undefined, /\/api\/generate: connection closed by the server \(UND_ERR_SOCKET\)|connection reset \(ECONNRESET\)/],
  ])('fault %j → retryable %s', async (fault, retryable, status, message) => {
    server.config.fault = () => fault
    const err = await ask(ollama()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ServerError)
    expect(err).toMatchObject({ retryable, status })
    expect((err as Error).message).toMatch(message)
  })

  test('through the dispatcher: a dropped connection then an answer, two requests in all', async () => {
    server.config.fault = () => (server.inference().length === 1 ? 'drop' : undefined)
    const session = await openServerPool([{ engine: ollama(), server: server.url }], { timeoutMs: 10_000, retries: 2, concurrency: 1, autoMax: 16, backoff: () => 10 }).openSession(logprobSession)
    const a = await session.answer(prompt, signal(), 'question #1')
    expect(a).toMatchObject({ probabilities: { B: expect.closeTo(0.6, 12) }, server: server.url })
    expect(server.inference()).toHaveLength(2)
  })

  test('a hung request ends at the deadline with the TimeoutError, sent once', async () => {
    server.config.fault = () => 'hang'
    const session = await openServerPool([{ engine: ollama() }], { timeoutMs: 300, retries: 2, concurrency: 1, autoMax: 16 }).openSession(logprobSession)
    const err = await session.answer(prompt, signal(), 'question #3').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as Error).message).toBe('question #3 timed out after 300 ms (MMLU_TIMEOUT_MS)')
    expect(server.inference()).toHaveLength(1)
  })

  test('MMLU_CONCURRENCY answers in flight at once go out as separate requests, each once', async () => {
    server.config.latencyMs = 50
    const session = await ollama().openSession({ ...logprobSession, concurrency: 4 })
    const prompts = [0, 1, 2, 3].map((i) => ({ ...prompt, suffix: `${i}${prompt.suffix}` }))
    await Promise.all(prompts.map((p) => session.answer(p, signal())))
    expect(server.maxInFlight).toBe(4)
    expect([...server.promptCounts().values()]).toEqual([1, 1, 1, 1])
  })
})

describe('OpenAI-compatible engine', () => {
  const open = (overrides: Partial<OpenAIEngineOptions> = {}) =>
    openOpenAIEngine({ baseUrl: `${server.url}/v1`, model: DEFAULT_MODEL.name, reason: 'test', apiKey: undefined, promptFormat: 'raw', seed: 7, timeoutMs: 10_000, wantLogprobs: true, ...overrides })

  // In a spawned run the worker's open error is printed once and the run exits 1 without a
  // results file (test/servers-e2e.test.ts, the refused key).
  test('a server that is not there: one clear error at open, naming the URL and the fix', async () => {
    const baseUrl = `http://127.0.0.1:${await closedPort()}/v1`
    await expect(open({ baseUrl })).rejects.toThrow(
      `The OpenAI-compatible server at ${baseUrl} is not reachable (connection refused (ECONNREFUSED)). Fix: start it, or set MMLU_OPENAI_BASE_URL to where it runs (e.g. http://127.0.0.1:8000/v1).`,
    )
  })

  test('completions with log-probs: probed once at open, then one request per answer with logprobs 20', async () => {
    const engine = await open()
    expect(engine.scoringModes).toEqual(['logprob', 'generate'])
    expect(engine.info).toEqual({ engine: 'openai', model: 'llama3.2:1b', source: `${server.url}/v1`, server: `${server.url}/v1`, identity: '{"id":"llama3.2:1b","object":"model","owned_by":"test"}', reason: 'test', details: { endpoint: 'completions', logprobs: 'yes', prompt: 'raw', seed: 7 } })
    const a = await ask(engine)
    expect(a.probabilities!.B).toBeCloseTo(0.6, 12)
    expect(a.text).toBe(' B')
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/models', '/v1/completions', '/v1/completions'])
    expect(server.inference()[1]!.body).toEqual({ model: 'llama3.2:1b', prompt: prompt.prefix + prompt.suffix, temperature: 0, seed: 7, max_tokens: 1, logprobs: 20 })
  })

  test('a server that takes at most 5 log-probs (OpenAI\'s completions): the probe steps down to 5, and every request asks 5', async () => {
    server.config.maxLogprobs = 5
    try {
      const engine = await open()
      expect(engine.scoringModes).toEqual(['logprob', 'generate'])
      expect(engine.info.details.logprobs).toBe('yes (top 5)')
      expect((await ask(engine)).probabilities!.B).toBeCloseTo(0.6, 12)
      expect(server.inference().map((r) => [r.body!.logprobs, r.status])).toEqual([[20, 400], [5, 200], [5, 200]])
    } finally {
      server.config.maxLogprobs = 20
    }
  })

  test('chat completions send the few-shot examples as turns (issue 21 item 5): user, assistant with the letter, …, the question last', async () => {
    const engine = await open({ promptFormat: 'chat' })
    const session = await engine.openSession(generateSession)
    await session.answer(twoShot, signal())
    expect(server.inference().at(-1)!.body!.messages).toEqual(TWO_SHOT_TURNS)
  })

  test('chat completions with top_logprobs 20', async () => {
    const a = await ask(await open({ promptFormat: 'chat' }))
    expect(a.probabilities!.B).toBeCloseTo(0.6, 12)
    expect(server.inference()[1]!.body).toMatchObject({ messages: [{ role: 'user', content: prompt.prefix + prompt.suffix }], logprobs: true, top_logprobs: 20, max_tokens: 1 })
  })

  test('a server that returns no log-probs: generate scoring, one warning', async () => {
    server.config.openaiLogprobs = false
    const lines: string[] = []
    const engine = await open({ warn: (l) => lines.push(l) })
    expect(engine.scoringModes).toEqual(['generate'])
    expect(lines).toEqual([`MMLU warning: the server at ${server.url}/v1 returns no log-probs on completions: scoring by generate.`])
  })

  test('generate scoring asked for: no probe request', async () => {
    const engine = await open({ wantLogprobs: false })
    expect((await ask(engine, generateSession)).text).toBe(' B')
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/models', '/v1/completions'])
    expect(server.inference()[0]!.body).toMatchObject({ max_tokens: 5 })
    expect(server.inference()[0]!.body).not.toHaveProperty('logprobs')
  })

  // Issue 25 item 11: the fix must be the one for the backend in use, never `ollama pull`.
  test('a model the server does not serve, on a server that lists none: one error at open with the fix for an OpenAI-compatible server', async () => {
    server.config.models = []
    const err = (await open({ model: 'test-model' })
      .catch((e: unknown) => e)
      .finally(() => (server.config.models = [DEFAULT_MODEL]))) as Error
    expect(err.message).toBe(
      `The OpenAI-compatible server at ${server.url}/v1 does not serve MMLU_MODEL=test-model (${server.url}/v1 completions: HTTP 404: The model \`test-model\` does not exist.). ` +
        `Fix: set MMLU_MODEL to a model id it serves (GET ${server.url}/v1/models lists them), or start the server with this model (e.g. \`vllm serve <model> --served-model-name test-model\`, \`llama-server -m <file.gguf> --alias test-model\`).`,
    )
    expect(err.message).not.toContain('ollama pull')
  })

  test('several OpenAI-compatible servers with other weights: the fix names what to serve, not `ollama pull`', async () => {
    const engine = (url: string, root: string) => ({ info: { engine: 'openai', model: 'test-model', source: url, reason: 'test', details: { weights: `root ${root}` } }, scoringModes: [], openSession: () => Promise.reject(new Error('unused')) }) as Engine
    const check = () => checkSameWeights([engine('http://a/v1', '/m/q8'), engine('http://b/v1', '/m/q4')], 'MMLU_OPENAI_BASE_URL')
    expect(check).toThrow(
      'The servers in MMLU_OPENAI_BASE_URL do not serve the same weights of test-model: http://a/v1 has root /m/q8, http://b/v1 has root /m/q4. A run never mixes answers from different weights. ' +
        'Fix: start every server with the same weights under that id, or list only servers that have them.',
    )
  })

  test('a model the server does not serve: a clear error listing what it serves', async () => {
    await expect(open({ model: 'gpt-9' })).rejects.toThrow(`The OpenAI-compatible server at ${server.url}/v1 does not serve MMLU_MODEL=gpt-9; it serves llama3.2:1b. Fix: set MMLU_MODEL to one of them.`)
  })

  test('the key goes in the Authorization header only; an echoed key is scrubbed from errors', async () => {
    const key = 'sk-live-abcdef0123456789'
    server.config.apiKey = key
    const engine = await open({ apiKey: new Secret(key) })
    expect(JSON.stringify(engine.info)).not.toContain(key)
    expect(server.requests.every((r) => r.authorization === `Bearer ${key}`)).toBe(true)
    // The server now wants another key: its 401 echoes ours back.
    server.config.apiKey = 'sk-other'
    const err = (await ask(engine).catch((e: unknown) => e)) as ServerError
    expect(err).toMatchObject({ retryable: false, status: 401 })
    expect(err.message).toBe(`${server.url}/v1 completions: HTTP 401: Incorrect API key provided: [redacted]`)
    expect(server.requests.at(-1)!.authorization).toBe(`Bearer ${key}`)
  })

  test.each([
    [{ status: 503 } as const, true, 503],
    [{ status: 429, error: 'slow down' } as const, true, 429],
    [{ status: 400, error: 'bad' } as const, false, 400],
    ['drop' as const, true, undefined],
  ])('fault %j → retryable %s; the package never retries on its own', async (fault, retryable, status) => {
    const engine = await open({ wantLogprobs: false })
    server.config.fault = () => fault
    const err = await ask(engine, generateSession).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ServerError)
    expect(err).toMatchObject({ retryable, status })
    expect(server.inference()).toHaveLength(1)
  })
})

test('credentials never reach messages: URLs lose user and password, secrets are scrubbed', () => {
  expect(redactUrl('http://user:pw@10.0.0.1:11434/base')).toBe('http://10.0.0.1:11434/base')
  expect(redactUrl('http://127.0.0.1:11434')).toBe('http://127.0.0.1:11434')
  expect(scrub('key sk-1 and sk-1 again', 'sk-1')).toBe('key [redacted] and [redacted] again')
  expect(scrub('nothing', undefined)).toBe('nothing')
})
