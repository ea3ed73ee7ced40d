// Lines up the decodes of the questions in flight on one llama.cpp context,
// so that they reach node-llama-cpp together and go out as one batch.
//
// Why: node-llama-cpp decodes whatever is queued when it dispatches. Left
// alone, in-flight questions drift out of step: each finishes its sampling
// at a slightly different moment, the first one back is decoded alone, and
// a batch carries 1.3 questions on average instead of 4. Every decode has a
// fixed cost (on a 2-vCPU VM with 2 threads, llama.cpp starts a helper thread
// per decode: 5-10 ms), so lone decodes throw away what batching is for.
// The gate holds each question's next decode until every question in flight
// is waiting for one, or `maxWaitMs` after the first arrived, so one that is
// busy elsewhere (tokenizing, waiting for a sequence) cannot stall the rest.
export class StepGate {
  private active = 0
  private waiting: (() => void)[] = []
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly maxWaitMs: number) {}

  /** A question starts using the context. */
  enter(): void {
    this.active++
  }

  /** A question is done with the context; those waiting no longer wait for it. */
  leave(): void {
    this.active--
    this.releaseIfAllWaiting()
  }

  /** Resolves when every active question is here, or maxWaitMs after the first of them arrived. */
  arrive(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      if (!this.releaseIfAllWaiting() && this.timer === undefined) this.timer = setTimeout(() => this.release(), this.maxWaitMs)
    })
  }

  /** Questions waiting right now (for tests and diagnostics). */
  get queued(): number {
    return this.waiting.length
  }

  private releaseIfAllWaiting(): boolean {
    if (this.waiting.length === 0 || this.waiting.length < this.active) return false
    this.release()
    return true
  }

  private release(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const released = this.waiting
    this.waiting = []
    setImmediate(() => {
      for (const resolve of released) resolve()
    })
  }
}
