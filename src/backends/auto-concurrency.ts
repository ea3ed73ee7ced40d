// MMLU_CONCURRENCY=auto, for one server. The rule:
//
//   Start at 1 question in flight. After AUTO_SAMPLES answers at a level,
//   double it while the throughput rose by at least AUTO_MIN_GAIN (a fifth)
//   over the level before; at the first step that gains less, or at the top
//   level, keep the best level measured.
//
// Throughput at a level is measured as level ÷ median latency of the requests
// sent while that many were in flight (Little's law), leaving out the first
// answers at each level (the first AUTO_SAMPLES of the run, while connections
// and code warm up; then `level`, sent while the pipeline filled), not as answers per
// second of wall time: a pause between subject files, or a file's last
// questions trickling in, then changes nothing. Against a server that queues
// (Ollama's default one slot), two in flight take twice as long each, so
// 1→2 gains about nothing and the level stays at 1; a server with 4 slots
// gains about 100% per step up to 4, and little from 4 to 8.
// Pure: the dispatcher feeds it each answer; tests feed it numbers.

export const AUTO_SAMPLES = 8
export const AUTO_MIN_GAIN = 0.2

export interface AutoStep {
  from: number
  to: number
  /** Throughput at `to` over throughput at `from`, minus 1. */
  gain: number
}

export class AutoConcurrency {
  /** Questions the server may have in flight now. */
  level = 1
  readonly steps: AutoStep[] = []
  private settled: boolean
  private best: { level: number; throughput: number } | undefined
  private latencies: number[] = []
  /** Answers still to leave out at this level: the run's first ones, then those sent while a new level filled up. */
  private warmup = AUTO_SAMPLES

  constructor(readonly max: number) {
    this.settled = max <= 1
  }

  get done(): boolean {
    return this.settled
  }

  /** One answer: how many requests the server had in flight when it was sent (itself included), and its latency. */
  answered(inFlightAtSend: number, latencyMs: number): void {
    if (this.settled || inFlightAtSend !== this.level || !(latencyMs > 0)) return
    if (this.warmup > 0) {
      this.warmup--
      return
    }
    this.latencies.push(latencyMs)
    if (this.latencies.length < AUTO_SAMPLES) return
    // The median: one slow answer (a retry, a page fault) must not decide a level.
    const sorted = [...this.latencies].sort((a, b) => a - b)
    const median = (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2
    const throughput = (this.level * 1000) / median
    this.latencies = []
    if (this.best) {
      const gain = throughput / this.best.throughput - 1
      this.steps.push({ from: this.best.level, to: this.level, gain })
      if (gain < AUTO_MIN_GAIN) {
        this.level = this.best.level
        this.settled = true
        return
      }
    }
    this.best = { level: this.level, throughput }
    if (this.level * 2 > this.max) this.settled = true
    else {
      this.level *= 2
      this.warmup = this.level
    }
  }

  /** `auto: 1→2 +92%, 2→4 +81%, 4→8 +3%`: each step measured, and why it stopped where it did not stop on a small gain. */
  describe(): string {
    const parts = this.steps.map((s) => `${s.from}→${s.to} ${s.gain < 0 ? '−' : '+'}${Math.round(Math.abs(s.gain) * 100)}%`)
    const last = this.steps.at(-1)
    if (!this.settled) parts.push(`${this.level} not measured to the end (too few questions)`)
    else if (this.max <= 1) parts.push('1 is the most this engine takes')
    else if (!last || last.gain >= AUTO_MIN_GAIN) parts.push(`${this.level} is the top level`)
    return `auto: ${parts.join(', ')}`
  }
}
