// The summary page (reports/index.html) as text, its chart data, and the
// server behind `npm run report`. The page in a real browser is checked in
// test/browser-report.test.ts.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Vitest } from 'vitest/node'
import type { Letter } from '../src/dataset/question.js'
import type { Outcome, QuestionRecord, ResultsFile, RunConfig } from '../src/run/results.js'
import { RESULTS_SCHEMA_VERSION } from '../src/run/results.js'
import { summarizeRun, summarizeSubject } from '../src/run/summary.js'
import { renderSummaryPage, summaryPagePath, vitestHtmlReportFile } from '../reporters/render/html.js'
import { histogram, throughput } from '../reporters/render/timing-charts.js'
import type { ReportServer } from '../scripts/serve-report.js'
import { fileForUrl, serveReport } from '../scripts/serve-report.js'

function record(subject: string, index: number, expected: Letter, given: Letter | null, startedAt: number, latencyMs: number, outcome?: Outcome): QuestionRecord {
  return {
    subject,
    index,
    expected,
    given,
    outcome: outcome ?? (given === null ? 'invalid' : given === expected ? 'correct' : 'wrong'),
    probabilities: given ? { A: 0.1, B: 0.2, C: 0.3, D: 0.4 } : undefined,
    text: given ? ` ${given}` : 'no idea',
    shots: 5,
    promptTokens: 400,
    evaluatedTokens: 40,
    completionTokens: 0,
    startedAt,
    latencyMs,
  }
}

/** Two subjects in two categories: astronomy 3/4 correct, business_ethics 1/3 with one invalid answer. */
function sampleResults(): ResultsFile {
  const t0 = 1_700_000_000_000
  const records = [
    record('astronomy', 0, 'C', 'C', t0, 100),
    record('astronomy', 1, 'A', 'A', t0 + 100, 100),
    record('astronomy', 2, 'B', 'D', t0 + 200, 100),
    record('astronomy', 3, 'D', 'D', t0 + 300, 100),
    record('business_ethics', 0, 'A', 'A', t0 + 400, 250),
    record('business_ethics', 1, 'B', 'C', t0 + 650, 250),
    record('business_ethics', 2, 'C', null, t0 + 900, 250),
  ]
  const subjects = ['astronomy', 'business_ethics'].map((s) =>
    summarizeSubject(
      s,
      records.filter((r) => r.subject === s),
      1000,
    ),
  )
  const config = {
    model: 'tiny <model>.gguf',
    engine: 'llama.cpp',
    scoring: 'logprob',
    shots: 5,
    concurrency: 1,
    vitest: { fileParallelism: false, maxWorkers: 1, workersUsed: 1 },
    dataDir: '/data',
    limit: undefined,
  } as RunConfig
  return {
    schema: RESULTS_SCHEMA_VERSION,
    createdAt: '2026-01-01T00:00:00.000Z',
    status: 'passed',
    config,
    provenance: [{ engine: 'llama.cpp', model: 'tiny <model>.gguf', source: '/m.gguf', digest: `sha256:${'ab'.repeat(32)}`, reason: 'test', details: {} }],
    summary: summarizeRun(subjects, records, 1150),
    subjects,
    records,
  }
}

describe('summary page', () => {
  let html: string
  beforeAll(async () => {
    html = await renderSummaryPage(sampleResults(), undefined, 'mmlu-results.json')
  })

  test('sits beside the results JSON', () => {
    expect(summaryPagePath('/x/reports/mmlu-results.json')).toBe('/x/reports/index.html')
    expect(summaryPagePath('out/run-1.json')).toBe(path.join('out', 'index.html'))
  })

  test('one table row per subject with the exact counts, accuracy and Wilson interval', () => {
    const row = (s: string) => html.match(new RegExp(`<tr data-subject="${s}">(.*?)</tr>`))![1]!
    expect(row('astronomy')).toContain('<td class="correct">3/4</td><td class="accuracy">75.0%</td><td class="ci">[30.1, 95.4]</td>')
    expect(row('business_ethics')).toContain('<td class="correct">1/3</td><td class="accuracy">33.3%</td><td class="ci">[6.1, 79.2]</td>')
    expect(row('business_ethics')).toContain('Other')
    expect(row('astronomy')).toContain('STEM')
  })

  test('the categories table', () => {
    expect(html).toMatch(/<tr data-category="stem">.*STEM.*<td class="correct">3\/4<\/td>/)
    expect(html).toMatch(/<tr data-category="other">.*Other.*<td class="correct">1\/3<\/td>/)
  })

  test('four charts, server-rendered as inline SVG; the subject chart sorted best first (drawn bottom-up)', () => {
    for (const id of ['chart-subjects', 'chart-categories', 'chart-latency', 'chart-throughput']) {
      expect(html).toMatch(new RegExp(`<figure id="${id}"[^>]*><figcaption>[^<]+</figcaption><svg `))
    }
    const subjects = html.match(/<figure id="chart-subjects".*?<\/figure>/s)![0]
    expect(subjects.indexOf('>business_ethics<')).toBeGreaterThan(-1)
    // Category axis labels are emitted bottom-up: the worse subject first.
    expect(subjects.indexOf('>business_ethics<')).toBeLessThan(subjects.indexOf('>astronomy<'))
    expect(html).not.toContain('<script')
  })

  // Issue 22: the category chart was 300 px tall for one or two bars, and the latency axis read `850` beside `1.05 s`.
  test('the category chart grows with its rows, not to a fixed height', () => {
    const categories = html.match(/<figure id="chart-categories".*?<\/figure>/s)![0]
    const height = Number(/<svg [^>]*height="(\d+)"/.exec(categories)![1])
    // Two categories: at most 50 px a row besides the axes' 70.
    expect(height).toBeLessThanOrEqual(70 + 2 * 50)
  })

  test('the latency axis in one unit: seconds throughout when the slowest question took a second or more', async () => {
    const sample = sampleResults()
    const slow = { ...sample, records: sample.records.map((r, i) => ({ ...r, latencyMs: 150 + i * 220 })) }
    const page = await renderSummaryPage(slow, undefined, 'mmlu-results.json')
    const chart = page.match(/<figure id="chart-latency".*?<\/figure>/s)![0]
    const texts = [...chart.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.trim())
    expect(texts).toContain('s')
    expect(texts).not.toContain('ms')
    // The x labels: every bin start in seconds, none in milliseconds, none with its own unit.
    const starts = texts.filter((t) => /^\d/.test(t) && t.includes('.'))
    expect(starts.length).toBeGreaterThan(0)
    expect(texts.some((t) => / s$/.test(t))).toBe(false)
    expect(Math.max(...starts.map(Number))).toBeLessThan(2)
    // Under a second: milliseconds throughout.
    const fast = [...html.match(/<figure id="chart-latency".*?<\/figure>/s)![0].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.trim())
    expect(fast).toContain('ms')
  })

  test('model names and other text are escaped', () => {
    expect(html).toContain('tiny &#60;model&#62;.gguf')
    expect(html).not.toContain('tiny <model>')
  })

  test('without a Vitest HTML report, every question is in the page itself (file:// works) and the page says how to get the report', () => {
    expect(html).toContain('<a class="q wrong" href="#q-astronomy-2" title="#2 expected B, given D">2</a>')
    expect(html).toContain('<a class="q invalid" href="#q-business_ethics-2" title="#2 expected C, given none">2</a>')
    // Each chip's row: key, given, outcome, the letters' probabilities (the chosen one marked), shots, latency.
    expect(html).toContain(
      '<tr id="q-astronomy-2"><td>2</td><td>B</td><td>D</td><td class="wrong">wrong</td><td>0.100</td><td>0.200</td><td>0.300</td><td class="chosen">0.400</td><td>5</td><td>100 ms</td><td class="text"></td></tr>',
    )
    expect(html).toContain('<tr id="q-business_ethics-2"><td>2</td><td>C</td><td>–</td><td class="invalid">invalid</td>')
    expect(html).toContain('no letter in &#34;no idea&#34;')
    expect(html.match(/<tr id="q-/g)).toHaveLength(sampleResults().records.length)
    expect(html).not.toContain('html/index.html#')
    expect(html).toContain('--reporter=html')
    expect(html).toContain('<a href="mmlu-results.json">mmlu-results.json</a>')
  })

  test('with a Vitest HTML report, subjects and questions link to it in its own URL scheme', async () => {
    const links = {
      href: 'html/index.html',
      files: new Map([['astronomy', '1063276544']]),
      tests: new Map([['astronomy#2', '1063276544_0_2']]),
    }
    const linked = await renderSummaryPage(sampleResults(), links)
    expect(linked).toContain('<a href="html/index.html#/?file=1063276544">astronomy</a>')
    expect(linked).toContain('<a class="q wrong" href="html/index.html#/?file=1063276544&amp;test=1063276544_0_2" title="#2 expected B, given D">2</a>')
    expect(linked).toContain('<a href="html/index.html">Vitest HTML report</a>')
  })

  test('tiny probabilities keep their digits in the question table (always-C gives the other letters ~1e-5), as in the UI', async () => {
    const results = sampleResults()
    results.records[0] = { ...results.records[0]!, probabilities: { A: 3.12e-5, B: 3.14e-5, C: 0.99990, D: 3.1e-5 } }
    const page = await renderSummaryPage(results)
    expect(page).toContain('<td>3.12e-5</td><td>3.14e-5</td><td class="chosen">1.000</td><td>3.10e-5</td>')
  })

  test('a run where nothing was answered still renders, with the charts marked empty', async () => {
    const empty = sampleResults()
    empty.records = []
    empty.subjects = [summarizeSubject('astronomy', [], 0)]
    empty.summary = summarizeRun(empty.subjects, [], 10)
    const page = await renderSummaryPage(empty)
    expect(page.match(/No answered questions to chart/g)).toHaveLength(4)
    expect(page).toContain('<tr data-subject="astronomy">')
  })
})

describe('chart data', () => {
  test('histogram: round bin width, every value counted once, the maximum in the last bin', () => {
    const bins = histogram([3, 12, 18, 27, 101], 10)
    expect(bins[0]).toEqual({ from: 0, to: 10, count: 1 })
    expect(bins.map((b) => b.count)).toEqual([1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    expect(bins.at(-1)).toEqual({ from: 100, to: 110, count: 1 })
    expect(histogram([])).toEqual([])
    expect(histogram([5, 5, 5]).reduce((n, b) => n + b.count, 0)).toBe(3)
  })

  test('throughput: answers completed per bucket ÷ its width, from the first start', () => {
    // Completions at 0.1, 0.2, 0.3, 0.4 (astronomy) and 0.65, 0.9, 1.15 s (business_ethics).
    const points = throughput(sampleResults().records, 3)
    expect(points).toEqual([
      { t: 0.5, qps: 8 },
      { t: 1, qps: 4 },
      { t: 1.5, qps: 2 },
    ])
  })

  test('errors are left out of latency and throughput', () => {
    const rs = [record('astronomy', 0, 'A', 'A', 0, 100), record('astronomy', 1, 'A', null, 0, 0, 'error')]
    expect(throughput(rs, 1)).toEqual([{ t: 0.1, qps: 10 }])
  })
})

describe('where the Vitest HTML report is', () => {
  const ctx = (reporters: unknown[], outputFile?: unknown) => ({ config: { root: '/r', reporters, outputFile } }) as unknown as Vitest
  test('from the reporter options, the config outputFile (.html or a string), else html/index.html', () => {
    expect(vitestHtmlReportFile(ctx([['default', {}]]))).toBeUndefined()
    expect(vitestHtmlReportFile(ctx([['html', {}]]))).toBe('/r/html/index.html')
    expect(vitestHtmlReportFile(ctx([['html', {}]], { html: 'reports/html/index.html', junit: 'x.xml' }))).toBe('/r/reports/html/index.html')
    expect(vitestHtmlReportFile(ctx([['html', {}]], 'out/report.html'))).toBe('/r/out/report.html')
    expect(vitestHtmlReportFile(ctx([['html', { outputFile: '/tmp/h/index.html' }]], { html: 'ignored.html' }))).toBe('/tmp/h/index.html')
  })
})

describe('npm run report: the server', () => {
  let dir: string
  let server: ReportServer
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-serve-'))
    await mkdir(path.join(dir, 'html', 'assets'), { recursive: true })
    await writeFile(path.join(dir, 'index.html'), '<h1>summary</h1>')
    await writeFile(path.join(dir, 'html', 'index.html'), '<h1>vitest</h1>')
    await writeFile(path.join(dir, 'html', 'html.meta.json.gz'), Buffer.from([0x1f, 0x8b, 1, 2]))
    await writeFile(path.join(dir, 'html', 'assets', 'app.js'), 'export {}')
    server = await serveReport(dir, 0)
  })
  afterAll(async () => {
    await server?.close()
  })

  test('listens on 127.0.0.1 only: the socket is bound there, and another address of this machine is refused', async () => {
    expect(server.address).toMatchObject({ address: '127.0.0.1', family: 'IPv4' })
    expect(server.url).toBe(`http://127.0.0.1:${server.address.port}/`)
    const outside = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4')
    if (!outside) return // a machine with loopback only: the bound address above is the whole check
    let socket: ReturnType<typeof connect> | undefined
    const reached = await new Promise<string>((resolve) => {
      socket = connect({ host: outside.address, port: server.address.port })
      socket.once('connect', () => resolve('connected'))
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
    })
    socket?.destroy()
    expect(reached, `${outside.address}:${server.address.port}`).toBe('ECONNREFUSED')
  })

  test('serves the summary page, the Vitest report, its assets and its gzipped data as raw bytes', async () => {
    const get = (p: string) => fetch(new URL(p, server.url), { redirect: 'manual' })
    const root = await get('/')
    expect(root.status).toBe(200)
    expect(root.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(root.headers.get('cache-control')).toBe('no-store')
    expect(await root.text()).toBe('<h1>summary</h1>')
    expect(await (await get('/html/')).text()).toBe('<h1>vitest</h1>')
    expect((await get('/html/assets/app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    const gz = await get('/html/html.meta.json.gz')
    expect(gz.headers.get('content-encoding')).toBeNull()
    expect([...new Uint8Array(await gz.arrayBuffer())]).toEqual([0x1f, 0x8b, 1, 2])
    const redirect = await get('/html')
    expect(redirect.status).toBe(301)
    expect(redirect.headers.get('location')).toBe('/html/')
    expect((await get('/missing.html')).status).toBe(404)
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405)
  })

  test('never leaves the folder', async () => {
    expect(fileForUrl('/r', '/../etc/passwd')).toBe('/r/etc/passwd') // URL parsing resolves the dots first
    expect(fileForUrl('/r', '/..%2f..%2fetc%2fpasswd')).toBeUndefined() // an encoded slash survives URL parsing
    expect(fileForUrl('/r', '/..%5c..%5cetc')).toBe('/r/..\\..\\etc') // a backslash is just a character on POSIX
    expect(fileForUrl('/r', '/a/%00')).toBeUndefined()
    expect(fileForUrl('/r', '/html/')).toBe('/r/html/index.html')
    expect((await fetch(new URL('/..%2f..%2fetc%2fpasswd', server.url))).status).toBe(403)
  })

  test('a port in use is a clear error naming the fix', async () => {
    const port = Number(new URL(server.url).port)
    await expect(serveReport(dir, port)).rejects.toThrow(`port ${port} on 127.0.0.1 is in use; pick another with --port N`)
  })
})
