// The results file is written in pieces (src/run/results.ts resultsText): a
// million records make more text than V8's longest string, so the file is
// never one string. What it holds must be exactly the run, whatever its size.
import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import type { QuestionRecord, ResultsFile } from '../src/run/results.js'
import { RESULTS_SCHEMA_VERSION, resultsText, writeResults, writeResultsSync } from '../src/run/results.js'

function record(i: number): QuestionRecord {
  return {
    subject: 'scale_test',
    index: i,
    expected: 'ABCD'[i % 4] as 'A',
    given: i % 7 === 0 ? null : ('DCBA'[i % 4] as 'A'),
    outcome: i % 7 === 0 ? 'invalid' : i % 4 === 1 || i % 4 === 2 ? 'correct' : 'wrong',
    text: `line "${i}"\n\u2028 é`,
    shots: 5,
    promptTokens: 100 + i,
    evaluatedTokens: i,
    completionTokens: 0,
    startedAt: 1_700_000_000_000 + i,
    latencyMs: i / 3,
    ...(i % 5 === 0 ? { probabilities: { A: 0.1, B: 0.2, C: 0.3, D: 0.4 } } : {}),
  }
}

function run(n: number): ResultsFile {
  return {
    schema: RESULTS_SCHEMA_VERSION,
    createdAt: '2026-12-07T00:00:00.000Z',
    status: 'passed',
    config: { model: 'm', engine: 'e', scoring: 'logprob', shots: 5, concurrency: 1, vitest: { fileParallelism: false, maxWorkers: 1, workersUsed: 1 } },
    provenance: [],
    summary: { questions: n } as unknown as ResultsFile['summary'],
    subjects: [],
    records: Array.from({ length: n }, (_, i) => record(i)),
  } as unknown as ResultsFile
}

describe('the results file', () => {
  test.each([0, 1, 2, 1999, 2000, 2001, 4500])('holds exactly the run with %i records, as JSON.stringify would', async (n) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'results-write-'))
    const results = run(n)
    const file = path.join(dir, 'sub', 'r.json')
    await writeResults(file, results)
    const text = await readFile(file, 'utf8')
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(results)))
    writeResultsSync(path.join(dir, 'sync.json'), results)
    expect(await readFile(path.join(dir, 'sync.json'), 'utf8')).toBe(text)
    // No temp file left beside it.
    expect((await readdir(path.join(dir, 'sub'))).sort()).toEqual(['r.json'])
  })

  test('is written in pieces of a bounded size, one record a line', () => {
    const results = run(10_000)
    const pieces = [...resultsText(results)]
    const whole = pieces.join('')
    // 10,000 records in pieces of 2,000: the header, five pieces of records, the close.
    expect(pieces.length).toBe(7)
    for (const p of pieces) expect(p.length).toBeLessThan(whole.length / 4)
    const lines = whole.split('\n').filter((l) => l.startsWith('  {'))
    expect(lines.length).toBe(10_000)
    expect(JSON.parse(lines[3]!.replace(/,$/, ''))).toEqual(JSON.parse(JSON.stringify(record(3))))
  })
})
