// The leaderboard (src/analysis/leaderboard.ts): fixed-answer models on the
// real astronomy and world_religions splits, where every count is the CSV's
// key counts, so ranks, ties and p-values are known in closed form: computed
// here with integer binomials and Holm by hand, never by the code under test.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import type { Leaderboard, LeaderboardRun } from '../src/analysis/leaderboard.js'
import { leaderboard } from '../src/analysis/leaderboard.js'
import type { Question } from '../src/dataset/question.js'
import type { ResultsFile } from '../src/run/results.js'
import { renderLeaderboardHtml, renderLeaderboardMarkdown, renderLeaderboardTerminal } from '../reporters/render/leaderboard.js'
import { main as leaderboardCommand } from '../scripts/leaderboard.js'
import { HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import type { LoadedSubject } from './helpers/fixed-answers.js'
import { answerAll, fixedLetter, loadWithInputs, resultsOf } from './helpers/fixed-answers.js'
import { exactMcNemar } from './helpers/mcnemar-reference.js'

const keysOf = (s: LoadedSubject, letter: string) => s.test.filter((q) => q.answer === letter).length
const run = (label: string, results: ResultsFile): LeaderboardRun => ({ label, file: `${label}.json`, results })

describe.skipIf(!HAS_REAL_DATA)('always-A, -B, -C, -D on the real astronomy split', () => {
  let astronomy: LoadedSubject
  let board: Leaderboard
  const fixed = (l: 'A' | 'B' | 'C' | 'D') => run(`fixed-${l}.gguf`, resultsOf(`fixed-${l}.gguf`, [astronomy], answerAll(astronomy.test, fixedLetter(l)), REAL_DATA_DIR))
  beforeAll(async () => {
    astronomy = await loadWithInputs(REAL_DATA_DIR, 'astronomy')
    board = leaderboard([fixed('A'), fixed('B'), fixed('C'), fixed('D')])
  })

  test('one table, ranked by the key counts; C ties with the best (D), A and B are below it after Holm', () => {
    const [a, b, c, d] = (['A', 'B', 'C', 'D'] as const).map((l) => keysOf(astronomy, l))
    expect([a, b, c, d]).toEqual([27, 28, 46, 51])
    expect(board.tables).toHaveLength(1)
    const rows = board.tables[0]!.rows
    expect(rows.map((r) => r.label)).toEqual(['fixed-D.gguf', 'fixed-C.gguf', 'fixed-B.gguf', 'fixed-A.gguf'])
    expect(rows.map((r) => r.rank)).toEqual([1, 2, 3, 4])
    expect(rows.map((r) => r.micro.accuracy)).toEqual([51 / 152, 46 / 152, 28 / 152, 27 / 152])
    expect(rows[0]!.versusBest).toBeUndefined()
    // Against always-D: right in D and not in X are D's keys (51), the reverse X's keys.
    const p = { C: exactMcNemar(51, 46), B: exactMcNemar(51, 28), A: exactMcNemar(51, 27) }
    // Holm by hand over the three: smallest (A) × 3, then B × 2 (kept at least A's), then C × 1.
    expect(p.A).toBeLessThan(p.B)
    expect(p.B).toBeLessThan(p.C)
    const holmA = Math.min(1, 3 * p.A)
    const holmB = Math.max(holmA, Math.min(1, 2 * p.B))
    const holmC = Math.max(holmB, Math.min(1, p.C))
    const [vc, vb, va] = rows.slice(1).map((r) => r.versusBest!)
    expect(vc).toMatchObject({ inCommon: 152, bestCorrect: 51, correct: 46, worse: 51, better: 46, tied: true })
    expect(vb).toMatchObject({ inCommon: 152, bestCorrect: 51, correct: 28, worse: 51, better: 28, tied: false })
    expect(va).toMatchObject({ inCommon: 152, bestCorrect: 51, correct: 27, worse: 51, better: 27, tied: false })
    expect(vc!.pValue).toBeCloseTo(p.C, 12)
    expect(vb!.pValue).toBeCloseTo(p.B, 12)
    expect(va!.pValue).toBeCloseTo(p.A, 12)
    expect(va!.adjustedP).toBeCloseTo(holmA, 12)
    expect(vb!.adjustedP).toBeCloseTo(holmB, 12)
    expect(vc!.adjustedP).toBeCloseTo(holmC, 12)
    // The numbers the ties rest on: C's 0.68 is no evidence; A and B stay under 0.05 after Holm.
    expect(holmC).toBeGreaterThan(0.5)
    expect(holmB).toBeLessThan(0.05)
    // Identical timings (the helper's 10 ms each): D is at least as fast as every run and more accurate, the only Pareto point.
    expect(rows.map((r) => r.pareto)).toEqual([true, false, false, false])
    expect(rows[0]!.aboveChance).toBeCloseTo((51 / 152 - 0.25) / 0.75, 12)
    expect(rows[0]!.quantization).toBeUndefined()
    expect(rows[0]!.peakRssBytes).toBeUndefined()
  })

  test('rendered: the tie said as ≈ best in the terminal, Markdown and page, with what the p-values test', async () => {
    const terminal = renderLeaderboardTerminal(board)
    expect(terminal).toMatch(/^1\s+fixed-D\.gguf\s+best\s+33\.6%/m)
    expect(terminal).toMatch(/^2\s+fixed-C\.gguf\s+≈ best\s+152\s+0\.\d+\s+0\.\d+\s+30\.3%/m)
    expect(terminal).toMatch(/^4\s+fixed-A\.gguf\s+below\s+152\s+0\.00877\s+0\.0263\s+17\.8%/m)
    expect(terminal).toContain('exact two-sided McNemar test of the run against the best of its table on the questions both asked')
    // No run here has memory, rotation or a server: those columns are left out, not shown blank.
    expect(terminal).not.toContain('peak memory')
    const md = renderLeaderboardMarkdown(board)
    expect(md).toContain('| 2 | fixed-C.gguf | **≈ best** | 152 |')
    expect(md).toContain('| 4 | fixed-A.gguf | below | 152 | 0.00877 | 0.0263 |')
    const html = await renderLeaderboardHtml(board)
    expect(html.match(/<tr class="tied">/g)).toHaveLength(2)
    expect(html.match(/<tr class="below">/g)).toHaveLength(2)
    expect(html).toContain('id="chart-speed-1"')
    expect(html).toContain('Pareto front')
  })

  test('a model name carrying markup or terminal control is shown, not obeyed (issue 25 item 7)', () => {
    const hostile = '<img src=http://x.invalid/a.png>\u001b[2Jevil'
    const b = leaderboard([run(hostile, fixed('D').results), fixed('A')])
    const md = renderLeaderboardMarkdown(b)
    expect(md).not.toContain('<img')
    expect(md).toContain('&lt;img src=http://x.invalid/a.png&gt;␛[2Jevil')
    const terminal = renderLeaderboardTerminal(b)
    expect(terminal).not.toContain('\u001b')
    expect(terminal).toContain('␛[2Jevil')
  })

  test('npm run leaderboard over results files named: the table printed, Markdown, page and JSON written', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-leaderboard-'))
    const files = await Promise.all(
      (['A', 'D'] as const).map(async (l) => {
        const file = path.join(dir, `${l}.json`)
        // D as written from issue 24 on, with its worker's peak memory; A as an older file, without it.
        const results = l === 'D' ? { ...fixed(l).results, peakRssBytes: 3 * 2 ** 30 } : fixed(l).results
        await writeFile(file, JSON.stringify(results))
        return file
      }),
    )
    const lines: string[] = []
    expect(await leaderboardCommand([...files, '--out', dir, '--dir', path.join(dir, 'runs')], (l) => lines.push(l))).toBe(0)
    expect(lines.join('\n')).toMatch(/^1\s+fixed-D\.gguf\s+best/m)
    // The memory column, blank for the older file.
    expect(lines.join('\n')).toMatch(/peak memory/)
    expect(lines.join('\n')).toMatch(/^1\s+fixed-D\.gguf.*\s3\.00 GiB\s/m)
    expect(lines.join('\n')).not.toMatch(/^2\s+fixed-A\.gguf.*GiB/m)
    const json = JSON.parse(await readFile(path.join(dir, 'leaderboard.json'), 'utf8')) as Leaderboard
    expect(json.tables[0]!.rows.map((r) => [r.label, r.versusBest?.pValue])).toEqual([
      ['fixed-D.gguf', undefined],
      ['fixed-A.gguf', expect.closeTo(exactMcNemar(51, 27), 12)],
    ])
    expect(await readFile(path.join(dir, 'leaderboard.md'), 'utf8')).toContain('| 2 | fixed-A.gguf | below |')
    expect(await readFile(path.join(dir, 'leaderboard.html'), 'utf8')).toContain('<h1>MMLU leaderboard</h1>')
    expect(json.tables[0]!.rows.map((r) => r.peakRssBytes)).toEqual([3 * 2 ** 30, undefined])
    expect(await readFile(path.join(dir, 'leaderboard.html'), 'utf8')).toContain('id="chart-memory-1"')
  })

  test('a 0-shot and a 5-shot run land in separate tables, the difference named', async () => {
    const five = await loadWithInputs(REAL_DATA_DIR, 'astronomy', 5)
    const fiveShot = run('fixed-D.gguf (5-shot)', resultsOf('fixed-D.gguf', [five], answerAll(five.test, fixedLetter('D'), 5), REAL_DATA_DIR, { shots: 5 }))
    const b = leaderboard([fixed('D'), fixed('A'), fiveShot])
    expect(b.tables.map((t) => t.rows.map((r) => r.label))).toEqual([['fixed-D.gguf', 'fixed-A.gguf'], ['fixed-D.gguf (5-shot)']])
    expect(b.tables[0]!.differences).toEqual([])
    expect(b.tables[1]!.differences).toEqual(['astronomy: different shots (fixed-D.gguf 0-shot, fixed-D.gguf (5-shot) 5-shot)'])
    // Alone in its table, the 5-shot run is its own best.
    expect(b.tables[1]!.rows[0]!.versusBest).toBeUndefined()
    // Given first (the newest kept run, say), it still comes second: the table of more runs leads.
    const newestFirst = leaderboard([fiveShot, fixed('D'), fixed('A')])
    expect(newestFirst.tables.map((t) => t.rows.map((r) => r.label))).toEqual([['fixed-D.gguf', 'fixed-A.gguf'], ['fixed-D.gguf (5-shot)']])
    expect(newestFirst.tables[1]!.differences).toEqual(b.tables[1]!.differences)
  })
})

describe.skipIf(!HAS_REAL_DATA)('a model that copies the key on world_religions and answers D on astronomy, against the fixed letters on both', () => {
  let subjects: LoadedSubject[]
  let board: Leaderboard
  beforeAll(async () => {
    subjects = await Promise.all(['astronomy', 'world_religions'].map((s) => loadWithInputs(REAL_DATA_DIR, s)))
    const questions = subjects.flatMap((s) => s.test)
    const fixed = (l: 'A' | 'B' | 'C' | 'D') => run(`fixed-${l}-Q4_K_M.gguf`, resultsOf(`fixed-${l}-Q4_K_M.gguf`, subjects, answerAll(questions, fixedLetter(l)), REAL_DATA_DIR))
    const copier = answerAll(questions, (q: Question) => fixedLetter(q.subject === 'world_religions' ? (q.answer as 'A' | 'B' | 'C' | 'D') : 'D'))
    board = leaderboard([fixed('A'), fixed('B'), run('copier.gguf', resultsOf('copier.gguf', subjects, copier, REAL_DATA_DIR)), fixed('C'), fixed('D')])
  })

  test('the copier is best; each fixed letter is below it on the world_religions questions alone', () => {
    const [astronomy, religions] = subjects as [LoadedSubject, LoadedSubject]
    const total = (l: string) => keysOf(astronomy, l) + keysOf(religions, l)
    expect(keysOf(religions, 'A')).toBe(55)
    const rows = board.tables[0]!.rows
    expect(board.tables).toHaveLength(1)
    // Ranks: the copier (D's 51 + all 171), then by key counts over both subjects: C 96, A 82, D 81, B 64.
    expect(rows.map((r) => [r.label, r.micro.accuracy * 323])).toEqual([
      ['copier.gguf', 51 + 171],
      ['fixed-C-Q4_K_M.gguf', total('C')],
      ['fixed-A-Q4_K_M.gguf', total('A')],
      ['fixed-D-Q4_K_M.gguf', total('D')],
      ['fixed-B-Q4_K_M.gguf', total('B')],
    ].map(([l, n]) => [l, expect.closeTo(n as number, 9)]))
    // Against the copier: on astronomy a fixed letter X differs from D on the D keys (copier right) and the X keys (X right);
    // on world_religions the copier is right everywhere, X on its own keys.
    const discordant = (l: 'A' | 'B' | 'C' | 'D') =>
      l === 'D' ? [171 - keysOf(religions, 'D'), 0] : [keysOf(astronomy, 'D') + 171 - keysOf(religions, l), keysOf(astronomy, l)]
    const letters = ['C', 'A', 'D', 'B'] as const
    const raw = letters.map((l) => exactMcNemar(discordant(l)[0]!, discordant(l)[1]!))
    // Holm by hand: sort ascending, multiply by 4, 3, 2, 1, keep it monotone.
    const order = raw.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0])
    const holm: number[] = []
    let running = 0
    order.forEach(([p, i], rank) => {
      running = Math.max(running, Math.min(1, (4 - rank) * p))
      holm[i] = running
    })
    rows.slice(1).forEach((r, i) => {
      const [worse, better] = discordant(letters[i]!)
      expect(r.versusBest).toMatchObject({ inCommon: 323, worse, better, tied: false })
      expect(r.versusBest!.pValue).toBeCloseTo(raw[i]!, 12)
      expect(r.versusBest!.adjustedP / holm[i]!).toBeCloseTo(1, 9)
    })
    // The quantization from the file name; the categories are MMLU's, each subject's own here.
    expect(rows[1]!.quantization).toBe('Q4_K_M')
    expect(rows[0]!.categories.map((c) => [c.category, c.questions])).toEqual([
      ['stem', 152],
      ['humanities', 171],
    ])
  })
})
