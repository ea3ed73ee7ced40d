// The server backends' options: OLLAMA_HOST by the Ollama CLI's rules, the
// API key that never prints, and clear errors for bad values.
import { inspect } from 'node:util'
import { describe, expect, test } from 'vitest'
import { inFlightCap, readOptions } from '../src/config/options.js'
import { DEFAULT_OLLAMA_HOST, parseOllamaHost } from '../src/config/ollama-host.js'
import { Secret } from '../src/config/secret.js'

describe('OLLAMA_HOST, as the Ollama CLI reads it', () => {
  test.each([
    [undefined, 'http://127.0.0.1:11434'],
    ['', 'http://127.0.0.1:11434'],
    ['1.2.3.4', 'http://1.2.3.4:11434'],
    [':1234', 'http://127.0.0.1:1234'],
    ['1.2.3.4:1234', 'http://1.2.3.4:1234'],
    ['example.com', 'http://example.com:11434'],
    ['example.com:1234', 'http://example.com:1234'],
    ['http://1.2.3.4', 'http://1.2.3.4:80'],
    ['http://1.2.3.4:4321', 'http://1.2.3.4:4321'],
    ['https://1.2.3.4', 'https://1.2.3.4:443'],
    ['https://1.2.3.4:4321', 'https://1.2.3.4:4321'],
    ['[::1]:1234', 'http://[::1]:1234'],
    ['[0:0:0:0:0:0:0:0]', 'http://[0:0:0:0:0:0:0:0]:11434'],
    ['::1', 'http://[::1]:11434'],
    ['http://example.com/ollama/', 'http://example.com:80/ollama'],
    ['ollama.com', 'https://ollama.com:443'],
    ['  "1.2.3.4:1234"  ', 'http://1.2.3.4:1234'],
  ])('%j → %s', (raw, url) => {
    expect(parseOllamaHost(raw)).toBe(url)
  })

  test.each([
    ['1.2.3.4:99999', /OLLAMA_HOST="1\.2\.3\.4:99999" is not valid: port "99999" is not a number from 0 to 65535/],
    ['example.com:port', /port "port"/],
    ['ftp://example.com', /scheme ftp is neither http nor https/],
  ])('%j is a clear error naming OLLAMA_HOST', (raw, message) => {
    expect(() => readOptions({ OLLAMA_HOST: raw })).toThrow(message)
  })
})

describe('server options', () => {
  test('defaults', () => {
    expect(readOptions({})).toMatchObject({
      backend: 'auto',
      ollamaHosts: [DEFAULT_OLLAMA_HOST],
      ollamaModels: undefined,
      openaiBaseUrls: [],
      apiKey: undefined,
      pull: false,
      retries: 8,
      concurrency: 1,
      promptFormat: 'raw',
      keepAlive: '30m',
      seed: 42,
    })
  })

  test('values, and the fallbacks to the variables other tools use', () => {
    const o = readOptions({ MMLU_BACKEND: 'OpenAI', OPENAI_BASE_URL: 'http://10.0.0.2:8000/v1/', OPENAI_API_KEY: 'sk-a', MMLU_RETRIES: '0', MMLU_PROMPT_FORMAT: 'chat', MMLU_KEEP_ALIVE: '-1', MMLU_SEED: '7', MMLU_PULL: '1', OLLAMA_MODELS: '/m' })
    expect(o).toMatchObject({ backend: 'openai', openaiBaseUrls: ['http://10.0.0.2:8000/v1'], retries: 0, promptFormat: 'chat', keepAlive: -1, seed: 7, pull: true, ollamaModels: '/m' })
    expect(o.apiKey?.reveal()).toBe('sk-a')
    // The project's own variables win.
    const own = readOptions({ OPENAI_BASE_URL: 'http://a/v1', MMLU_OPENAI_BASE_URL: 'http://b/v1', OPENAI_API_KEY: 'sk-a', MMLU_API_KEY: 'sk-b' })
    expect(own.openaiBaseUrls).toEqual(['http://b/v1'])
    expect(own.apiKey?.reveal()).toBe('sk-b')
    expect(readOptions({ MMLU_KEEP_ALIVE: '1h30m' }).keepAlive).toBe('1h30m')
  })

  test.each([
    [{ MMLU_BACKEND: 'vllm' }, /MMLU_BACKEND="vllm" is not valid: expected one of auto, ollama, openai, llamacpp/],
    [{ MMLU_RETRIES: '21' }, /MMLU_RETRIES="21" is not valid: expected a whole number from 0 to 20/],
    [{ MMLU_CONCURRENCY: 'many' }, /MMLU_CONCURRENCY="many" is not valid: expected auto or a whole number from 1 to 256/],
    [{ MMLU_CONCURRENCY: '0' }, /MMLU_CONCURRENCY="0" is not valid/],
    [{ OLLAMA_HOST: 'a:1,,b:2' }, /OLLAMA_HOST="a:1,,b:2" is not valid: an empty entry/],
    [{ OLLAMA_HOST: 'a:1,http://a:1' }, /OLLAMA_HOST="a:1,http:\/\/a:1" is not valid: http:\/\/a:1 is listed twice/],
    [{ MMLU_OPENAI_BASE_URL: 'http://a/v1,b' }, /MMLU_OPENAI_BASE_URL="b" is not valid: expected an http\(s\) URL/],
    [{ MMLU_PROMPT_FORMAT: 'json' }, /MMLU_PROMPT_FORMAT="json" is not valid: expected one of raw, chat/],
    [{ MMLU_KEEP_ALIVE: 'forever' }, /MMLU_KEEP_ALIVE="forever" is not valid: expected a duration such as 30m/],
    [{ MMLU_OPENAI_BASE_URL: 'localhost:8000' }, /MMLU_OPENAI_BASE_URL="localhost:8000" is not valid: expected an http\(s\) URL/],
    [{ OPENAI_BASE_URL: 'nope' }, /OPENAI_BASE_URL="nope" is not valid/],
    [{ MMLU_PULL: 'please' }, /MMLU_PULL/],
    [{ MMLU_SEED: '-1' }, /MMLU_SEED/],
  ])('bad value %j is a clear error', (env, message) => {
    expect(() => readOptions(env)).toThrow(message)
  })

  test('several servers: OLLAMA_HOST and MMLU_OPENAI_BASE_URL take comma-separated lists; auto concurrency; the in-flight cap', () => {
    const o = readOptions({ OLLAMA_HOST: '127.0.0.1:1, 10.0.0.2 ,http://h:3', MMLU_OPENAI_BASE_URL: 'http://a:1/v1/, http://b:2/v1', MMLU_CONCURRENCY: 'Auto' })
    expect(o).toMatchObject({ ollamaHosts: ['http://127.0.0.1:1', 'http://10.0.0.2:11434', 'http://h:3'], openaiBaseUrls: ['http://a:1/v1', 'http://b:2/v1'], concurrency: 'auto' })
    // Vitest's maxConcurrency must allow the top level auto may try on every server; fixed levels are per server.
    expect(inFlightCap(o)).toBe(16 * 3)
    expect(inFlightCap({ ...o, backend: 'openai' })).toBe(16 * 2)
    expect(inFlightCap(readOptions({ MMLU_CONCURRENCY: '2', OLLAMA_HOST: 'a:1,b:2' }))).toBe(4)
    expect(inFlightCap(readOptions({ MMLU_CONCURRENCY: '3', MMLU_BACKEND: 'llamacpp', OLLAMA_HOST: 'a:1,b:2' }))).toBe(3)
  })

  test('the API key prints as [redacted] everywhere: String, JSON, util.inspect, template strings', () => {
    const o = readOptions({ MMLU_API_KEY: 'sk-secret-123' })
    const shown = [String(o.apiKey), `${o.apiKey}`, JSON.stringify(o), inspect(o), inspect(new Secret('sk-secret-123'))]
    for (const s of shown) expect(s).not.toContain('sk-secret-123')
    expect(JSON.stringify(o)).toContain('"apiKey":"[redacted]"')
  })
})
