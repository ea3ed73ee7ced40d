// When a server is given up. The rule, stated once (docs/faults.md repeats it):
//
//   A server is given up when every request sent to it for GONE_AFTER_MS
//   (8 s) has failed — connection refused or dropped, HTTP 429/5xx, no
//   answer within MMLU_TIMEOUT_MS, or a reply that is not an answer (an error
//   sent with HTTP 200) — and none was answered in that time.
//
// 8 s is longer than a restart of a few seconds (Ollama's takes 1-3 s to
// listen again; loading the model afterwards is a slow answer, not a failure)
// and shorter than the retries of one question (about 10-20 s by default), so
// a question caught by a dead server is "not asked", not an error. From then
// on the worker sends that server nothing: its questions go to the other
// servers, or, when none is left, are not asked, in seconds rather than one
// retry cycle per question. The failures themselves are the probes: the rule
// is checked each time a request fails, never on a clock of its own.
export const GONE_AFTER_MS = 8_000

export class ServerHealth {
  private failingSince: number | undefined
  private lastFailure = ''
  private goneWhy: string | undefined
  private goneInfo: { at: number; failingMs: number } | undefined
  private readonly goneController = new AbortController()

  constructor(
    readonly name: string,
    readonly goneAfterMs: number = GONE_AFTER_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Why the server was given up; undefined while it is in use. */
  get gone(): string | undefined {
    return this.goneWhy
  }

  /** When it was given up, on the clock it was given (Date.now by default). */
  get goneAt(): number | undefined {
    return this.goneInfo?.at
  }

  /** How long it had failed every request when it was given up. */
  get goneAfterFailingMs(): number | undefined {
    return this.goneInfo?.failingMs
  }

  /** Failing since its last answer (an outage under way, not yet long enough to give it up). */
  get failing(): boolean {
    return this.failingSince !== undefined
  }

  /** Aborted when the server is given up, so questions waiting to retry on it wake at once. */
  get goneSignal(): AbortSignal {
    return this.goneController.signal
  }

  /** The server answered (any HTTP reply that is not a retryable failure): an outage is over. */
  answered(): void {
    this.failingSince = undefined
  }

  /** A request failed in a way that says nothing about the question: `why` in words. */
  failed(why: string): void {
    if (this.goneWhy) return
    const t = this.now()
    this.failingSince ??= t
    this.lastFailure = why
    if (t - this.failingSince >= this.goneAfterMs) {
      this.goneInfo = { at: t, failingMs: t - this.failingSince }
      this.goneWhy = `${this.name} failed every request for ${((t - this.failingSince) / 1000).toFixed(1)} s and answered none (last: ${this.lastFailure})`
      this.goneController.abort()
    }
  }

  /** Waits `ms`, or less when the server is given up meanwhile; rejects with the reason when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason)
      if (this.goneWhy || ms <= 0) return resolve()
      const cleanup = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        this.goneController.signal.removeEventListener('abort', done)
      }
      const done = () => {
        cleanup()
        resolve()
      }
      const onAbort = () => {
        cleanup()
        reject(signal.reason)
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', onAbort, { once: true })
      this.goneController.signal.addEventListener('abort', done, { once: true })
    })
  }
}
