// Secrets in stored text (issue 25, item 10): the configured API key, and a
// key in the base URL's query, are never printed nor written, even when the
// server echoes them inside its answers. One place redacts: src/backends/server.ts.
import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { describe, expect, test } from 'vitest'
import { redactUrl, scrub, secretsOf, urlSecrets } from '../src/backends/server.js'
import { Secret } from '../src/config/secret.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { useLoopbackServer } from './helpers/loopback.js'
import { runVitest } from './helpers/run-vitest.js'

describe('redacting', () => {
  test('query parameters named like keys are redacted in a URL, the rest kept; user name and password removed', () => {
    expect(redactUrl('https://proxy.example/v1?key=AIzaSy-123&api-version=2024-06-01&api_key=k2&token=t3&X-Api-Key=k4&sig=s5&model=m')).toBe(
      'https://proxy.example/v1?key=[redacted]&api-version=2024-06-01&api_key=[redacted]&token=[redacted]&X-Api-Key=[redacted]&sig=[redacted]&model=m',
    )
    expect(redactUrl('http://user:pw@10.0.0.1:11434/base?access_token=abc')).toBe('http://10.0.0.1:11434/base?access_token=[redacted]')
    expect(redactUrl('http://127.0.0.1:8000/v1?api-version=1')).toBe('http://127.0.0.1:8000/v1?api-version=1')
    expect(urlSecrets('http://u:pass-word@h/v1?key=AIzaSy-123&client_secret=a%2Fb&api-version=1').sort()).toEqual(['AIzaSy-123', 'a/b', 'a%2Fb', 'pass-word'].sort())
  })

  test('every secret of the run is scrubbed from a text: the API key, and the keys in each server URL', () => {
    const secrets = secretsOf({ apiKey: new Secret('sk-abcdef'), openaiBaseUrls: ['http://h/v1?token=tok-12345'], ollamaHosts: ['http://u:hunter22@o:11434'] })
    expect(scrub('B: sk-abcdef and tok-12345, hunter22', secrets)).toBe('B: [redacted] and [redacted], [redacted]')
    // Too short to tell from text (a key "A" would erase every letter A): not scrubbed from text, still redacted in URLs.
    expect(scrub('A is the answer', secretsOf({ apiKey: new Secret('A'), openaiBaseUrls: [], ollamaHosts: [] }))).toBe('A is the answer')
  })
})

/** Every file under `dir` as text, gzipped ones unpacked (the Vitest HTML report's data). */
async function everyText(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue
    const file = path.join(e.parentPath, e.name)
    const bytes = await readFile(file)
    out.set(path.relative(dir, file), (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'))
  }
  return out
}

describe('a server that echoes the key in its answers', () => {
  const loop = useLoopbackServer({}, { answer: () => 'B', latencyMs: 0, slots: 4, fault: undefined, apiKey: undefined, letters: 'all' })

  test('the key (MMLU_API_KEY) and the base URL query key are in no output, results JSON, kept run, answer cache, JUnit file or HTML report', async () => {
    const key = 'sk-test-echoed-0123456789'
    const queryKey = 'AIzaSy-query-987654'
    loop.server.config.apiKey = key
    // Within the 5 tokens generate scoring asks for.
    loop.server.config.reply = (letter) => `${letter} key=${key} ${queryKey}`
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-secrets-'))
    const run = await runVitest(['evals/astronomy'], {
      env: {
        MMLU_DATA_DIR: FIXTURE_DATA_DIR,
        MMLU_ALLOW_PARTIAL: '1',
        MMLU_BACKEND: 'openai',
        MMLU_OPENAI_BASE_URL: `${loop.server.url}/v1?key=${queryKey}`,
        MMLU_API_KEY: key,
        MMLU_SCORING: 'generate',
        MMLU_RESULTS: path.join(dir, 'results.json'),
        XDG_CACHE_HOME: path.join(dir, 'cache'),
      },
      args: ['--reporter=./reporters/mmlu-reporter.ts', '--reporter=junit', `--outputFile.junit=${path.join(dir, 'junit.xml')}`, '--reporter=html', `--outputFile.html=${path.join(dir, 'html', 'index.html')}`],
    })
    // The server was asked (the key and the query went with each request), and every answer came back.
    expect(run.results?.summary, run.output).toMatchObject({ questions: 8, errors: 0 })
    const inference = loop.server.inference()
    expect(inference.length).toBe(8)
    expect(inference.every((r) => r.authorization === `Bearer ${key}`)).toBe(true)
    expect(new Set(run.results!.records.map((r) => r.text))).toEqual(new Set(['B key=[redacted] [redacted]']))
    expect(run.output).toContain(`${loop.server.url}/v1?key=[redacted]`)
    const files = await everyText(dir)
    const kinds = ['results.json', 'junit.xml', 'html/index.html', 'runs/index.html']
    for (const k of kinds) expect([...files.keys()], k).toContain(k)
    expect([...files.keys()].some((f) => f.startsWith('cache/vitest-mmlu/answers/'))).toBe(true)
    expect([...files.keys()].some((f) => /^runs\/[^/]+\/mmlu-results\.json$/.test(f))).toBe(true)
    // The redacted answer is where the answer is kept: JUnit's failure messages, the cache.
    expect(files.get('junit.xml')).toContain('key=[redacted] [redacted]')
    for (const [file, text] of files) {
      expect(text.includes(key), file).toBe(false)
      expect(text.includes(queryKey), file).toBe(false)
    }
    expect(run.output).not.toContain(key)
    expect(run.output).not.toContain(queryKey)
  })
})
