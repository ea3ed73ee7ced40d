// When a server is taken out of the pool for a while (outlier ejection, as
// Envoy's outlier detection and nginx's max_fails/fail_timeout do it). The
// rule, stated once (docs/faults.md repeats it):
//
//   After EJECT_AFTER_FAILURES (5) failures in a row with no answer between,
//   a server gets no new question for a cool-down: 1 s the first time,
//   doubling with each ejection since its last answer, at most 30 s. Back
//   from a cool-down it takes one question at a time until one is answered;
//   a failure then ejects it again at once, for twice as long. The last server
//   still in use is never ejected: with nowhere else to go, ejecting would
//   only delay questions.
//
// Why: a server that fails fast (an error in HTTP 200, a 503 at once) frees
// its place sooner than a working one, so least-outstanding keeps choosing it
// and most questions fail there. Ejected, its questions go to the others.
// Failures are those of server-health.ts (refused, dropped, 429/5xx, no
// answer in time) and a reply that is not an answer; a final HTTP error (400,
// 404) is about the question and counts as an answer here. Giving a server up
// for good stays server-health.ts's rule (8 s of failures and no answer).
export const EJECT_AFTER_FAILURES = 5
export const EJECT_BASE_MS = 1_000
export const EJECT_MAX_MS = 30_000

export class Ejection {
  private consecutive = 0
  private ejections = 0
  private until = -Infinity

  constructor(
    private readonly now: () => number = Date.now,
    readonly afterFailures = EJECT_AFTER_FAILURES,
    readonly baseMs = EJECT_BASE_MS,
    readonly maxMs = EJECT_MAX_MS,
  ) {}

  /** In its cool-down: no new question goes there. */
  get ejected(): boolean {
    return this.now() < this.until
  }

  /** When the cool-down ends (ms on the clock), while ejected. */
  get ejectedUntil(): number | undefined {
    return this.ejected ? this.until : undefined
  }

  /** Back from a cool-down and not answered since: one question at a time. */
  get probing(): boolean {
    return !this.ejected && this.consecutive >= this.afterFailures
  }

  /** How many times it was ejected since its last answer. */
  get count(): number {
    return this.ejections
  }

  answered(): void {
    this.consecutive = 0
    this.ejections = 0
  }

  /**
   * A request failed. `mayEject`: another server is still in use. Returns the
   * cool-down in ms when this failure ejected the server, else undefined
   * (failures of requests still in flight during a cool-down do not extend it).
   */
  failed(mayEject: boolean): number | undefined {
    this.consecutive++
    if (this.ejected || !mayEject || this.consecutive < this.afterFailures) return undefined
    const coolDown = Math.min(this.maxMs, this.baseMs * 2 ** this.ejections)
    this.ejections++
    this.until = this.now() + coolDown
    return coolDown
  }
}
