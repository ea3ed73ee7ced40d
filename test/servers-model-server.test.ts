// The test double itself: it must speak Ollama's API and the OpenAI endpoints
// the way the real servers do, or the backend tests prove nothing. Checked
// through the same client packages the backends use, and with plain fetch.
import { Ollama } from 'ollama'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import type { ModelServer } from '../fixtures/servers/model-server.js'
import { closedPort, startModelServer, startSilentServer } from '../fixtures/servers/model-server.js'

let server: ModelServer
let ollama: Ollama
beforeAll(async () => {
  server = await startModelServer()
  ollama = new Ollama({ host: server.url })
})
afterAll(() => server.close())
beforeEach(() => {
  server.reset()
  Object.assign(server.config, { answer: () => 'B', latencyMs: 0, slots: 1, fault: undefined, version: '0.12.11' })
})

describe('Ollama API', () => {
  test('/api/version, /api/tags, /api/show; an unknown model is 404 with an {"error"} body', async () => {
    expect(await ollama.version()).toEqual({ version: '0.12.11' })
    expect((await ollama.list()).models.map((m) => m.name)).toEqual(['llama3.2:1b'])
    expect((await ollama.show({ model: 'llama3.2:1b' })).modelfile).toMatch(/^FROM \/root\/\.ollama\/models\/blobs\/sha256-[0-9a-f]{64}$/m)
    const res = await fetch(`${server.url}/api/show`, { method: 'POST', body: JSON.stringify({ model: 'nope' }) })
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual({ error: "model 'nope' not found" })
  })

  test('generate streams NDJSON by default (one line per token, then the statistics); stream:false gives one object', async () => {
    server.config.reply = () => ' B because'
    try {
      const res = await fetch(`${server.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2:1b', prompt: 'Answer:', raw: true }) })
      expect(res.headers.get('content-type')).toBe('application/x-ndjson')
      const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
      expect(lines.map((l) => [l.response, l.done])).toEqual([[' B', false], [' because', false], ['', true]])
      expect(lines[2]).toMatchObject({ done_reason: 'stop', eval_count: 2, prompt_eval_count: 2 })
      // The ollama package reads the same stream.
      const parts: string[] = []
      for await (const p of await ollama.generate({ model: 'llama3.2:1b', prompt: 'Answer:', raw: true, stream: true })) parts.push(p.response ?? '')
      expect(parts.join('')).toBe(' B because')
      const whole = await ollama.generate({ model: 'llama3.2:1b', prompt: 'Answer:', raw: true, stream: false, options: { num_predict: 1 } })
      expect(whole).toMatchObject({ response: ' B', done: true, eval_count: 1 })
    } finally {
      server.config.reply = undefined
    }
  })

  test('log-probs from 0.12.11 only, at most 20, the rule\'s letter first', async () => {
    const r = await ollama.generate({ model: 'llama3.2:1b', prompt: 'Answer:', raw: true, logprobs: true, top_logprobs: 20, options: { num_predict: 1 } })
    const top = r.logprobs![0]!.top_logprobs!
    expect(top).toHaveLength(20)
    expect(top.slice(0, 4).map((t) => t.token)).toEqual([' B', ' A', ' C', ' D'])
    expect(Math.exp(top[0]!.logprob)).toBeCloseTo(0.6, 12)
    await expect(ollama.generate({ model: 'llama3.2:1b', prompt: 'x', logprobs: true, top_logprobs: 21 })).rejects.toThrow('top_logprobs must be between 0 and 20')
    server.config.version = '0.12.10'
    expect((await ollama.generate({ model: 'llama3.2:1b', prompt: 'x', logprobs: true, top_logprobs: 5 })).logprobs).toBeUndefined()
  })

  test('chat streams NDJSON messages, answering the last user message', async () => {
    server.config.answer = (p) => (p.endsWith('pick C') ? 'C' : 'A')
    const parts: string[] = []
    for await (const p of await ollama.chat({ model: 'llama3.2:1b', messages: [{ role: 'user', content: 'pick C' }], stream: true })) parts.push(p.message.content)
    expect(parts.join('')).toBe('C')
  })

  test('/api/pull streams progress to success and adds the model; an unknown one streams an error', async () => {
    server.config.pullable = [{ name: 'tiny:1b', digest: 'a'.repeat(64) }]
    const statuses: string[] = []
    for await (const p of await ollama.pull({ model: 'tiny:1b', stream: true })) statuses.push(p.status)
    expect(statuses[0]).toBe('pulling manifest')
    expect(statuses.at(-1)).toBe('success')
    expect((await ollama.list()).models.map((m) => m.name)).toContain('tiny:1b')
    const pulling = async () => {
      for await (const _ of await ollama.pull({ model: 'nope:1b', stream: true })) void _
    }
    await expect(pulling()).rejects.toThrow('pull model manifest: file does not exist')
    server.config.models = server.config.models.filter((m) => m.name !== 'tiny:1b')
  })
})

describe('OpenAI endpoints', () => {
  test('completions and chat completions with log-probs, through the openai package', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x', maxRetries: 0 })
    const c = await client.completions.create({ model: 'llama3.2:1b', prompt: 'Answer:', max_tokens: 1, logprobs: 5 })
    expect(c.choices[0]!.text).toBe(' B')
    expect(Object.keys(c.choices[0]!.logprobs!.top_logprobs![0]!)).toEqual([' B', ' A', ' C', ' D', ' filler0'])
    const chat = await client.chat.completions.create({ model: 'llama3.2:1b', messages: [{ role: 'user', content: 'Answer:' }], max_tokens: 1, logprobs: true, top_logprobs: 3 })
    expect(chat.choices[0]!.message.content).toBe('B')
    expect(chat.choices[0]!.logprobs!.content![0]!.top_logprobs.map((t) => t.token)).toEqual(['B', 'A', 'C'])
    await expect(client.completions.create({ model: 'other', prompt: 'x' })).rejects.toMatchObject({ status: 404, message: '404 The model `other` does not exist.' })
  })
})

describe('requests are checked as strictly as the real servers check them (stricter where they would silently ignore)', () => {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) })
    return [res.status, ((await res.json()) as { error: string | { message: string } }).error] as const
  }
  const message = (e: string | { message: string }) => (typeof e === 'string' ? e : e.message)
  const generate = { model: 'llama3.2:1b', prompt: 'Answer:', raw: true, stream: false }

  test.each([
    [undefined, 400, 'missing request body'],
    [{ ...generate, top_logprobs: '20' }, 400, 'json: cannot unmarshal string into Go struct field GenerateRequest.top_logprobs of type int'],
    [{ ...generate, logprobs: 1 }, 400, 'json: cannot unmarshal number into Go struct field GenerateRequest.logprobs of type bool'],
    [{ ...generate, logprobs: true, top_logprobs: 21 }, 400, 'top_logprobs must be between 0 and 20'],
    [{ ...generate, system: 'be brief' }, 400, 'raw mode does not support template, system, or context'],
    [{ ...generate, top_logprob: 5 }, 400, 'test server: unknown field "top_logprob" (Ollama would ignore it silently)'],
    [{ ...generate, options: { num_cxt: 8192 } }, 400, 'test server: unknown option "num_cxt" (Ollama would log "invalid option provided" and ignore it)'],
    [{ ...generate, options: { num_ctx: '8192' } }, 400, 'test server: option "num_ctx" must be of type integer'],
    [{ ...generate, model: 'nope:1b' }, 404, "model 'nope:1b' not found"],
  ])('Ollama /api/generate %j → %i %s', async (body, status, error) => {
    expect(await post('/api/generate', body)).toEqual([status, error])
  })

  test.each([
    ['/v1/completions', { model: 'llama3.2:1b', prompt: 'x', logprobs: true }, 'json: cannot unmarshal boolean into Go struct field CompletionRequest.logprobs of type int'],
    ['/v1/completions', { model: 'llama3.2:1b', prompt: 'x', logprobs: 21 }, 'logprobs must be between 0 and 20'],
    ['/v1/completions', { model: 'llama3.2:1b', prompt: 'x', top_k: 1 }, 'Unrecognized request argument supplied: top_k'],
    ['/v1/completions', { model: 'llama3.2:1b' }, "'prompt' is a required property"],
    ['/v1/chat/completions', { model: 'llama3.2:1b', messages: [{ role: 'user', content: 'x' }], top_logprobs: 3 }, 'top_logprobs requires logprobs: true'],
    ['/v1/chat/completions', { model: 'llama3.2:1b', messages: [] }, "'messages' must contain at least one message"],
  ])('OpenAI %s %j → 400 %s', async (path, body, error) => {
    const [status, e] = await post(path, body)
    expect([status, message(e)]).toEqual([400, error])
  })

  test("OpenAI's own limit of 5 log-probs on completions (maxLogprobs 5); vLLM's 20 by default", async () => {
    server.config.maxLogprobs = 5
    try {
      expect(message((await post('/v1/completions', { model: 'llama3.2:1b', prompt: 'x', logprobs: 20 }))[1])).toBe('logprobs must be between 0 and 5')
    } finally {
      server.config.maxLogprobs = 20
    }
    expect((await post('/v1/completions', { model: 'llama3.2:1b', prompt: 'x', logprobs: 20, max_tokens: 1 }))[0]).toBe(200 as never)
  })
})

describe('serving', () => {
  const generate = (prompt: string) => fetch(`${server.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2:1b', prompt, stream: false }) })

  test('one slot queues the rest: 3 requests of 100 ms take at least 300 ms; 3 slots serve them together', async () => {
    server.config.latencyMs = 100
    const t0 = performance.now()
    await Promise.all(['a', 'b', 'c'].map(generate))
    // A lower bound only: a slow machine makes it longer, never shorter.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300)
    expect(server.maxInFlight).toBe(1)
    server.reset()
    server.config.slots = 3
    // Together: all three hold a slot at once. A second each, so three requests sent at
    // once all arrive before the first is done, however busy the machine.
    server.config.latencyMs = 1_000
    await Promise.all(['a', 'b', 'c'].map(generate))
    expect(server.maxInFlight).toBe(3)
  })

  test('faults on chosen requests: 503 with an {"error"} body, a dropped connection, a hang until the client gives up', async () => {
    server.config.fault = (r) => ({ 1: { status: 503 }, 2: 'drop', 3: 'hang' })[server.inference().indexOf(r) + 1] as never
    const busy = await generate('a')
    expect(busy.status).toBe(503)
    expect(await busy.json()).toEqual({ error: 'server busy, please try again. maximum pending requests exceeded' })
    await expect(generate('b')).rejects.toThrow('fetch failed')
    const hung = fetch(`${server.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2:1b', prompt: 'c' }), signal: AbortSignal.timeout(200) })
    await expect(hung).rejects.toThrow(/aborted|timeout/i)
    expect((await generate('d')).status).toBe(200)
    expect(server.inference().map((r) => r.fault ?? 'ok')).toEqual([{ status: 503 }, 'drop', 'hang', 'ok'])
    expect([...server.promptCounts().entries()]).toEqual([['a', 1], ['b', 1], ['c', 1], ['d', 1]])
  })

  test('a restart: open connections are dropped, the port refuses for a while, then the same port answers again', async () => {
    const s = await startModelServer({ latencyMs: 200 })
    try {
      const inFlight = fetch(`${s.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2:1b', prompt: 'a', stream: false }) })
      await new Promise((r) => setTimeout(r, 50))
      // Down for 2 s: long beside the checks below, so a busy machine cannot see the port back before they run.
      const back = s.restart(2_000)
      await expect(inFlight).rejects.toThrow('fetch failed')
      expect(s.down).toBe(true)
      const refused = await fetch(`${s.url}/api/version`).catch((e: Error) => (e.cause as { code?: string }).code)
      expect(refused).toBe('ECONNREFUSED')
      await back
      expect(s.down).toBe(false)
      expect(await (await fetch(`${s.url}/api/version`)).json()).toEqual({ version: '0.12.11' })
      // As a fault: the request that triggers it is dropped, and the restart follows.
      s.config.fault = () => ({ restart: 2_000 })
      await expect(fetch(`${s.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2:1b', prompt: 'b', stream: false }) })).rejects.toThrow('fetch failed')
      expect(s.down).toBe(true)
    } finally {
      await s.close()
    }
  })

  test('it closes itself at the end of its lifetime; a closed port refuses; a silent server never answers', async () => {
    const short = await startModelServer({ lifetimeMs: 100 })
    await new Promise((r) => setTimeout(r, 300))
    await expect(fetch(`${short.url}/api/version`)).rejects.toThrow('fetch failed')
    await expect(fetch(`http://127.0.0.1:${await closedPort()}/`)).rejects.toThrow('fetch failed')
    const silent = await startSilentServer()
    await expect(fetch(silent.url, { signal: AbortSignal.timeout(200) })).rejects.toThrow(/aborted|timeout/i)
    await silent.close()
  })
})
