// Live progress: the counters and their rendering with a fake clock, the
// in-place terminal window on fake streams, and (acceptance) the lines a
// spawned non-TTY run prints.
import { Writable } from 'node:stream'
import { describe, expect, test } from 'vitest'
import { readOptions } from '../src/config/options.js'
import { formatEta, InPlaceWindow, ProgressTracker, renderProgressLine, renderProgressWindow } from '../reporters/progress.js'
import { FIXTURE_DATA_DIR, HAS_REAL_DATA, REAL_DATA_DIR } from './helpers/data.js'
import { useLoopbackServer } from './helpers/loopback.js'
import { runVitest } from './helpers/run-vitest.js'

function clock(start = 1000) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe('ProgressTracker', () => {
  test('done/total per subject and for the run; q/s from the first answer to the latest; ETA from what is left', () => {
    const c = clock()
    const p = new ProgressTracker(c.now)
    p.plan('a.eval.ts', 'astronomy', 152)
    p.plan('b.eval.ts', 'business_ethics', 100)
    expect(p.snapshot()).toMatchObject({ done: 0, total: 252, subjects: 2, subjectsDone: 0, rate: undefined, etaMs: undefined, running: [] })

    p.collected('a.eval.ts', 8) // a partial data folder: the estimate is replaced by the real count
    for (let i = 0; i < 5; i++) {
      p.answered('a.eval.ts')
      c.advance(250)
    }
    // 5 answers at t = 1000, 1250, …, 2000: 4 intervals in 1 s → 4 q/s.
    const s = p.snapshot()
    expect(s).toMatchObject({ done: 5, total: 108, rate: 4 })
    expect(s.etaMs).toBe((103 / 4) * 1000)
    expect(s.running).toEqual([{ subject: 'astronomy', done: 5, total: 8, rate: 4 }])

    for (let i = 0; i < 3; i++) p.answered('a.eval.ts')
    p.finished('a.eval.ts')
    expect(p.snapshot()).toMatchObject({ done: 8, total: 108, subjectsDone: 1, running: [] })
  })

  test('a file that ends without answers stops counting toward the total', () => {
    const p = new ProgressTracker(clock().now)
    p.plan('a', 'astronomy', 152)
    p.plan('b', 'business_ethics', 100)
    p.finished('a')
    expect(p.snapshot()).toMatchObject({ done: 0, total: 100, subjectsDone: 1 })
  })

  test('answers for unknown files are ignored (other projects in the same run)', () => {
    const p = new ProgressTracker(clock().now)
    p.answered('nowhere')
    expect(p.snapshot()).toMatchObject({ done: 0, total: 0 })
  })
})

describe('rendering', () => {
  const snapshot = {
    done: 1234,
    total: 14042,
    subjectsDone: 3,
    subjects: 57,
    rate: 31.94,
    etaMs: 401_000,
    running: [
      { subject: 'astronomy', done: 56, total: 152, rate: 30.1 },
      { subject: 'business_ethics', done: 1, total: 100, rate: undefined },
    ],
  }

  test('a line for logs without a TTY', () => {
    expect(renderProgressLine(snapshot)).toBe(
      'progress   1234/14042 questions (8.8%) · 31.9 q/s · ETA 6m 41s · 3/57 subjects done · astronomy 56/152, business_ethics 1/100',
    )
  })

  test('the in-place window: the run, then one row per running subject', () => {
    expect(renderProgressWindow(snapshot)).toEqual([
      'MMLU  1234/14042 questions (8.8%) · 31.9 q/s · ETA 6m 41s · 3/57 subjects done',
      '  astronomy           56/152   36.8%  30.1 q/s',
      '  business_ethics      1/100    1.0%  – q/s',
    ])
    const many = { ...snapshot, running: Array.from({ length: 11 }, (_, i) => ({ subject: `s${i}`, done: 0, total: 10, rate: undefined })) }
    const rows = renderProgressWindow(many)
    expect(rows).toHaveLength(1 + 8 + 1)
    expect(rows.at(-1)).toBe('  +3 more running')
  })

  test.each([
    [undefined, '–'],
    [Infinity, '–'],
    [0, '0s'],
    [59_400, '59s'],
    [61_000, '1m 01s'],
    [3_600_000 + 5 * 60_000, '1h 05m'],
  ])('ETA %s ms reads %s', (ms, text) => {
    expect(formatEta(ms)).toBe(text)
  })
})

/** A fake terminal: everything written, in order. */
function terminal(): Writable & { text: string } {
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      ;(w as Writable & { text: string }).text += chunk.toString()
      cb()
    },
  }) as Writable & { text: string }
  w.text = ''
  return w
}

describe('InPlaceWindow', () => {
  test('draws at the bottom, redraws in place, lets other output scroll above it, and clears on stop', async () => {
    const tty = terminal()
    let rows = ['MMLU  0/8', '  astronomy 0/8']
    const win = new InPlaceWindow(tty, [tty], () => rows, () => 80, 60_000)
    win.start()
    expect(tty.text).toBe('\x1b[?2026hMMLU  0/8\n  astronomy 0/8\n\x1b[?2026l')

    tty.text = ''
    tty.write('✓ business_ethics  2/8 correct\n')
    // The window is cleared (2 rows up, erase below) before the line goes out…
    expect(tty.text).toBe('\x1b[2A\r\x1b[J✓ business_ethics  2/8 correct\n')
    rows = ['MMLU  1/8', '  astronomy 1/8']
    await new Promise((r) => setImmediate(r))
    // …and drawn again beneath it on the next tick.
    expect(tty.text).toBe('\x1b[2A\r\x1b[J✓ business_ethics  2/8 correct\n\x1b[?2026hMMLU  1/8\n  astronomy 1/8\n\x1b[?2026l')

    tty.text = ''
    win.stop()
    expect(tty.text).toBe('\x1b[2A\r\x1b[J')
    tty.text = ''
    tty.write('after\n')
    expect(tty.text).toBe('after\n')
  })

  test('rows are cut to the terminal width so each takes exactly one row', () => {
    const tty = terminal()
    const win = new InPlaceWindow(tty, [tty], () => ['x'.repeat(100)], () => 40, 60_000)
    win.start()
    win.stop()
    expect(tty.text).toContain(`${'x'.repeat(38)}…\n`)
  })

  test('a write that leaves a line open is not followed by the window until the line ends', async () => {
    const tty = terminal()
    const win = new InPlaceWindow(tty, [tty], () => ['W'], () => 80, 60_000)
    win.start()
    tty.text = ''
    tty.write('partial')
    await new Promise((r) => setImmediate(r))
    expect(tty.text).toBe('\x1b[1A\r\x1b[Jpartial')
    tty.write(' line\n')
    await new Promise((r) => setImmediate(r))
    expect(tty.text).toBe('\x1b[1A\r\x1b[Jpartial line\n\x1b[?2026hW\n\x1b[?2026l')
    win.stop()
  })
})

describe('MMLU_PROGRESS_MS', () => {
  test('defaults to 10 s; 0 turns progress off; a bad value names the variable', () => {
    expect(readOptions({}).progressMs).toBe(10_000)
    expect(readOptions({ MMLU_PROGRESS_MS: '0' }).progressMs).toBe(0)
    expect(() => readOptions({ MMLU_PROGRESS_MS: 'soon' })).toThrow(/MMLU_PROGRESS_MS="soon" is not valid: expected a whole number/)
  })
})

describe('acceptance: progress of a spawned run without a TTY', () => {
  const progressLine = /^progress {3}(\d+)\/(\d+) questions \([\d.]+%\) · ([\d.]+|–) q\/s · ETA \S+( \S+)? · (\d+)\/(\d+) subjects done/

  // The loopback server answers each question after 10 ms, one at a time: the 152 questions last
  // at least 1.5 s on any machine, several times MMLU_PROGRESS_MS (a busy one only lengthens it).
  const loop = useLoopbackServer({}, { answer: () => 'B', latencyMs: 10, slots: 1 })

  test.skipIf(!HAS_REAL_DATA)('prints progress lines with q/s every MMLU_PROGRESS_MS, counting up to the run total', async () => {
    const run = await runVitest(['evals/astronomy'], {
      env: { MMLU_DATA_DIR: REAL_DATA_DIR, OLLAMA_HOST: loop.server.url, OLLAMA_MODELS: loop.emptyStore, MMLU_PROGRESS_MS: '200', MMLU_SHOTS: '0' },
    })
    expect(run.code, run.output).toBe(0)
    const lines = run.output.split('\n').filter((l) => l.startsWith('progress'))
    expect(lines.length, run.output).toBeGreaterThanOrEqual(2)
    for (const l of lines) expect(l).toMatch(progressLine)
    const parsed = lines.map((l) => l.match(progressLine)!)
    // The total is the real question count (152), the count never goes down, and q/s shows once answers arrive.
    expect(parsed.every((m) => m[2] === '152')).toBe(true)
    const done = parsed.map((m) => Number(m[1]))
    expect([...done].sort((a, b) => a - b)).toEqual(done)
    expect(parsed.some((m) => /^[\d.]+$/.test(m[3]!) && Number(m[3]) > 0)).toBe(true)
    // Progress lines stop before the summary: none after the results line.
    expect(run.output.lastIndexOf('\nprogress')).toBeLessThan(run.output.indexOf('Results    '))
    expect(run.results!.summary.questions).toBe(152)
  })

  test('MMLU_PROGRESS_MS=0 prints none (fixture data)', async () => {
    const run = await runVitest(['evals/astronomy'], {
      env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', MMLU_ENGINE_MODULE: 'fixtures/engines/always-c.ts', MMLU_PROGRESS_MS: '0' },
    })
    expect(run.code, run.output).toBe(0)
    expect(run.output).not.toMatch(/^progress /m)
    expect(run.results!.summary.questions).toBe(8)
  })
})
