// Live progress of a long run: per subject done/total, and questions/s and an
// ETA for the run.
// - On a TTY a small window is redrawn in place at the bottom of the terminal;
//   everything else written meanwhile (the reporter's subject lines, errors)
//   is printed above it, as Vitest's own renderers do.
// - Without a TTY (CI logs), one line every MMLU_PROGRESS_MS.
// A test result costs one Map lookup and a few additions; text is only built
// on the timer, so progress adds nothing per question that one could measure.
import { stripVTControlCharacters } from 'node:util'
import type { Writable } from 'node:stream'
import type { TestCase, TestModule, TestSpecification, Vitest } from 'vitest/node'
import { isSubject, SUBJECTS, subjectOfFile } from '../src/dataset/subjects.js'
import { maxOf } from '../src/base/extent.js'
import { printable } from './render/escape.js'

/** Redraw period of the in-place window; the interval setting is for line-per-tick logs. */
const TTY_REDRAW_MS = 500
/** Running subjects shown in the window; the rest are summarized as "+N more". */
const MAX_WINDOW_SUBJECTS = 8

interface SubjectProgress {
  subject: string
  done: number
  /** Questions in the file: an estimate from the canonical counts until the file is collected. */
  total: number
  started: boolean
  finished: boolean
  firstAt: number | undefined
  lastAt: number | undefined
}

export interface SubjectSnapshot {
  subject: string
  done: number
  total: number
  /** Questions per second within the subject, once two answers came back. */
  rate: number | undefined
}

export interface ProgressSnapshot {
  done: number
  total: number
  subjectsDone: number
  subjects: number
  /** Questions per second over the run, from the first answer to the latest one. */
  rate: number | undefined
  etaMs: number | undefined
  running: SubjectSnapshot[]
}

/** The counters behind the display. Pure: time comes from `now`. */
export class ProgressTracker {
  private readonly files = new Map<string, SubjectProgress>()
  private done = 0
  private total = 0
  private firstAt: number | undefined
  private lastAt: number | undefined

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A file the run will execute; `estimate` stands for its question count until it is collected. */
  plan(file: string, subject: string, estimate: number): void {
    const previous = this.files.get(file)
    if (previous) this.total -= previous.total
    this.files.set(file, { subject, done: 0, total: estimate, started: false, finished: false, firstAt: undefined, lastAt: undefined })
    this.total += estimate
  }

  /** The file's real question count, known once it is collected. */
  collected(file: string, total: number): void {
    const s = this.files.get(file)
    if (!s) return
    this.total += total - s.total
    s.total = total
    s.started = true
  }

  answered(file: string): void {
    const s = this.files.get(file)
    if (!s) return
    const t = this.now()
    s.done++
    s.firstAt ??= t
    s.lastAt = t
    this.done++
    this.firstAt ??= t
    this.lastAt = t
  }

  finished(file: string): void {
    const s = this.files.get(file)
    if (!s) return
    // A file that failed to load asks nothing: it no longer counts toward the ETA.
    this.total -= s.total - s.done
    s.total = s.done
    s.finished = true
  }

  snapshot(): ProgressSnapshot {
    const rate = rateOf(this.done, this.firstAt, this.lastAt)
    const running: SubjectSnapshot[] = []
    let subjectsDone = 0
    for (const s of this.files.values()) {
      if (s.finished) subjectsDone++
      else if (s.started || s.done > 0) running.push({ subject: s.subject, done: s.done, total: s.total, rate: rateOf(s.done, s.firstAt, s.lastAt) })
    }
    const left = Math.max(0, this.total - this.done)
    return {
      done: this.done,
      total: this.total,
      subjectsDone,
      subjects: this.files.size,
      rate,
      etaMs: rate ? (left / rate) * 1000 : undefined,
      running,
    }
  }
}

function rateOf(done: number, firstAt: number | undefined, lastAt: number | undefined): number | undefined {
  // n answers span n − 1 intervals between the first and the last.
  if (firstAt === undefined || lastAt === undefined || done < 2 || lastAt <= firstAt) return undefined
  return (done - 1) / ((lastAt - firstAt) / 1000)
}

export function formatEta(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`
}

const qps = (r: number | undefined): string => (r === undefined ? '– q/s' : `${r.toFixed(r < 10 ? 2 : 1)} q/s`)
const percent = (done: number, total: number): string => `${total ? ((done / total) * 100).toFixed(1) : '0.0'}%`

function runSummary(p: ProgressSnapshot): string {
  return `${p.done}/${p.total} questions (${percent(p.done, p.total)}) · ${qps(p.rate)} · ETA ${formatEta(p.etaMs)} · ${p.subjectsDone}/${p.subjects} subjects done`
}

/** One line for logs without a TTY. */
export function renderProgressLine(p: ProgressSnapshot): string {
  const running = p.running.map((s) => `${s.subject} ${s.done}/${s.total}`).join(', ')
  return printable(`progress   ${runSummary(p)}${running ? ` · ${running}` : ''}`)
}

/** The in-place window: the run, then one row per running subject. */
export function renderProgressWindow(p: ProgressSnapshot): string[] {
  const width = maxOf(p.running.slice(0, MAX_WINDOW_SUBJECTS).map((s) => s.subject.length), 0)
  const rows = p.running.slice(0, MAX_WINDOW_SUBJECTS).map((s) => `  ${s.subject.padEnd(width)}  ${`${s.done}/${s.total}`.padStart(9)}  ${percent(s.done, s.total).padStart(6)}  ${qps(s.rate)}`)
  if (p.running.length > MAX_WINDOW_SUBJECTS) rows.push(`  +${p.running.length - MAX_WINDOW_SUBJECTS} more running`)
  // A subject's name is a file's: shown, never obeyed (the window is redrawn by cursor moves).
  return [`MMLU  ${runSummary(p)}`, ...rows].map(printable)
}

type Write = (chunk: unknown, ...rest: unknown[]) => boolean

/**
 * Keeps a few rows at the bottom of a terminal and redraws them in place.
 * Writes to the intercepted streams clear the window, go out, and the window
 * is drawn again on the next tick, so Vitest's and our own logs scroll above it.
 */
export class InPlaceWindow {
  private rows = 0
  /** The last write left a line unfinished: drawing now would glue the window onto it. */
  private lineOpen = false
  private redrawQueued = false
  private timer: NodeJS.Timeout | undefined
  private readonly out: Write
  private readonly restores: (() => void)[] = []

  constructor(
    private readonly terminal: Writable,
    private readonly streams: readonly Writable[],
    private readonly getRows: () => string[],
    private readonly columns: () => number,
    private readonly intervalMs = TTY_REDRAW_MS,
  ) {
    this.out = terminal.write.bind(terminal) as Write
  }

  start(): void {
    for (const stream of new Set(this.streams)) {
      const original = stream.write
      const bound = original.bind(stream) as Write
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        this.clear()
        const ok = bound(chunk, ...rest)
        const last = typeof chunk === 'string' ? chunk.charCodeAt(chunk.length - 1) : chunk instanceof Uint8Array ? chunk[chunk.length - 1] : undefined
        if (last !== undefined && !Number.isNaN(last)) this.lineOpen = last !== 10
        this.queueRedraw()
        return ok
      }) as Writable['write']
      this.restores.push(() => {
        stream.write = original
      })
    }
    this.draw()
    this.timer = setInterval(() => this.draw(), this.intervalMs).unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.clear()
    for (const restore of this.restores.splice(0).reverse()) restore()
  }

  private queueRedraw(): void {
    if (this.redrawQueued) return
    this.redrawQueued = true
    setImmediate(() => {
      this.redrawQueued = false
      if (this.timer) this.draw()
    })
  }

  private clear(): void {
    if (this.rows === 0) return
    // The cursor sits at the start of the row below the window.
    this.out(`\x1b[${this.rows}A\r\x1b[J`)
    this.rows = 0
  }

  private draw(): void {
    if (this.lineOpen) return
    // A terminal that reports no width (some ptys say 0) gets its rows uncut.
    const columns = this.columns()
    const width = columns > 0 ? Math.max(20, columns - 1) : Infinity
    // Rows are cut to the terminal width, so each takes exactly one row and clearing stays exact.
    const rows = this.getRows().map((r) => (stripVTControlCharacters(r).length > width ? `${stripVTControlCharacters(r).slice(0, width - 1)}…` : r))
    // Synchronized output: terminals that support it repaint without flicker.
    this.out(`\x1b[?2026h${this.rows ? `\x1b[${this.rows}A\r\x1b[J` : ''}${rows.map((r) => `${r}\n`).join('')}\x1b[?2026l`)
    this.rows = rows.length
  }
}

/** Progress as the reporter drives it from Vitest's hooks. */
export class RunProgress {
  private tracker = new ProgressTracker()
  private window: InPlaceWindow | undefined
  private timer: NodeJS.Timeout | undefined
  private cleanupRegistered = false

  constructor(
    private readonly ctx: Vitest,
    private readonly intervalMs: number,
    /** Tests a subject of so many questions will hold (MMLU_LIMIT or MMLU_SAMPLE, trials, rotations), for the estimate before a file is collected. */
    private readonly planned: (canonical: number) => number = (n) => n,
  ) {}

  /** Starts the display for the subject files of a run; 0 ms turns it off. */
  start(specs: ReadonlyArray<TestSpecification>): void {
    this.stop()
    if (this.intervalMs <= 0) return
    this.tracker = new ProgressTracker()
    for (const spec of specs) {
      const subject = subjectOfFile(spec.moduleId)
      const canonical = isSubject(subject) ? SUBJECTS[subject].testCount : 0
      this.tracker.plan(spec.moduleId, subject, this.planned(canonical))
    }
    const logger = this.ctx.logger
    if ((logger.outputStream as NodeJS.WriteStream).isTTY) {
      this.window = new InPlaceWindow(logger.outputStream, [logger.outputStream, logger.errorStream, process.stdout, process.stderr], () => renderProgressWindow(this.tracker.snapshot()), () => logger.getColumns())
      this.window.start()
      // Ctrl-C or process.exit mid-run: give the terminal back clean (once, whatever the reruns in watch mode).
      if (!this.cleanupRegistered) logger.onTerminalCleanup(() => this.stop())
      this.cleanupRegistered = true
    } else {
      this.timer = setInterval(() => logger.log(renderProgressLine(this.tracker.snapshot())), this.intervalMs).unref()
    }
  }

  collected(m: TestModule): void {
    let n = 0
    for (const _ of m.children.allTests()) n++
    this.tracker.collected(m.moduleId, n)
  }

  answered(t: TestCase): void {
    this.tracker.answered(t.module.moduleId)
  }

  finished(m: TestModule): void {
    this.tracker.finished(m.moduleId)
  }

  /** Clears the window (or stops the lines) before the final summary is printed. */
  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.window?.stop()
    this.window = undefined
  }
}

