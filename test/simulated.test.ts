// Issue 22 item 3: a run against `npm run server:simulated` (the loopback test
// double, no model) recorded `llama3.2:1b … ollama (server 0.12.11, 1.2B, Q8_0)`
// like a real one. The double says what it is through Ollama's own surface (its
// /api/version carries `+simulated` build metadata, which no Ollama release has);
// every output and record of the run says SIMULATED, and a gate or compare never
// pairs a simulated run with a real one.
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { compareRuns } from '../src/analysis/compare.js'
import { compareWithBaseline } from '../src/analysis/paired.js'
import type { ResultsFile } from '../src/run/results.js'
import { renderCompareMarkdown, renderCompareTerminal } from '../reporters/render/compare.js'
import { renderMarkdownSummary } from '../reporters/render/markdown.js'
import { main as runsMain } from '../scripts/runs.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { runVitest } from './helpers/run-vitest.js'

let serve: ChildProcess
let host: string
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-simulated-'))
  // The command the docs give (`npm run server:simulated` runs this file), on a free port.
  serve = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'fixtures/servers/serve.ts', '--for-s', '300'], { stdio: ['ignore', 'pipe', 'inherit'] })
  host = await new Promise<string>((resolve, reject) => {
    let out = ''
    serve.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /OLLAMA_HOST=(\S+)/.exec(out)
      if (m) resolve(m[1]!)
    })
    serve.on('exit', (code) => reject(new Error(`serve.ts exited with ${code}: ${out}`)))
  })
})
afterAll(async () => {
  serve?.kill('SIGTERM')
  await rm(dir, { recursive: true, force: true })
})

describe('a run against the simulated server', () => {
  let results: ResultsFile

  test('says SIMULATED in the header, the results JSON, the summary page, the run history and its index', async () => {
    const store = path.join(dir, 'empty-store')
    const resultsFile = path.join(dir, 'reports', 'mmlu-results.json')
    const run = await runVitest(['evals/astronomy'], { env: { OLLAMA_HOST: host, OLLAMA_MODELS: store, MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', MMLU_RESULTS: resultsFile } })
    expect(run.code, run.output).toBe(0)
    expect(run.output).toMatch(/^MMLU {2}SIMULATED server/m)
    results = run.results!
    expect(results.config.simulated).toBe(true)
    expect(results.provenance.map((e) => e.simulated)).toEqual([true])
    expect(await readFile(path.join(dir, 'reports', 'index.html'), 'utf8')).toContain('SIMULATED')
    const runsDir = path.join(dir, 'reports', 'runs')
    expect(await readFile(path.join(runsDir, 'index.html'), 'utf8')).toContain('SIMULATED · ollama · logprob')
    const listed: string[] = []
    await runsMain(['--dir', runsDir], (line) => listed.push(line))
    expect(listed.join('\n')).toContain('SIMULATED · ollama · logprob')
    const [id] = (await readdir(runsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)
    expect(JSON.parse(await readFile(path.join(runsDir, id!, 'run.json'), 'utf8')).simulated).toBe(true)
    expect(await readFile(path.join(runsDir, id!, 'index.html'), 'utf8')).toContain('SIMULATED')
    expect(renderMarkdownSummary(results, undefined, { flipsShown: 0 })).toContain('SIMULATED')
  })

  test('through its OpenAI-compatible endpoints too: /v1/models names the double as the owner', async () => {
    const run = await runVitest(['evals/astronomy'], {
      env: { MMLU_BACKEND: 'openai', MMLU_OPENAI_BASE_URL: `http://${host}/v1`, MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', MMLU_KEEP_RUNS: '0' },
    })
    expect(run.code, run.output).toBe(0)
    expect(run.output).toMatch(/^MMLU {2}SIMULATED server/m)
    expect(run.results!.config.simulated).toBe(true)
  })

  test('a gate or compare refuses to pair it with a real run', () => {
    expect(results).toBeDefined()
    // The same run as a real server would have recorded it: equal inputs, so only the simulation differs.
    const real: ResultsFile = { ...results, config: { ...results.config, simulated: undefined }, provenance: results.provenance.map(({ simulated: _s, ...e }) => e) }
    delete real.config.simulated
    const gate = compareWithBaseline(real, results, 'baseline.json', { alpha: 0.05 })
    expect(gate.kind).toBe('refused')
    expect(gate.kind === 'refused' && gate.reasons).toEqual(['this run is SIMULATED (npm run server:simulated, no model) and the baseline is not: a simulated run is never paired with a real one'])
    const both = compareRuns([
      { label: 'a', file: 'a.json', results: real },
      { label: 'b', file: 'b.json', results },
    ])
    expect(both.pairs[0]).toMatchObject({ kind: 'refused', reasons: ['b is SIMULATED (npm run server:simulated, no model) and a is not: a simulated run is never paired with a real one'] })
    expect(renderCompareTerminal(both, undefined)).toMatch(/^Run 1 {5}b · SIMULATED · ollama/m)
    // Two simulated runs still compare (the docs' study and parallelism pages do), and say what they are.
    expect(compareWithBaseline(results, results, 'baseline.json', { alpha: 0.05 }).kind).toBe('compared')
    const simulatedPair = compareRuns([
      { label: 'a', file: 'a.json', results },
      { label: 'b', file: 'b.json', results },
    ])
    expect(simulatedPair.pairs[0]!.kind).toBe('compared')
    expect(renderCompareMarkdown(simulatedPair, undefined)).toContain('| reference | a | SIMULATED · ollama')
  })
})
