// Decides which decodes of the questions in flight on one llama.cpp context
// go to node-llama-cpp together, and in what order. Two reasons, both
// measured on random-small with 4 in flight:
//
// Speed. node-llama-cpp decodes whatever is queued when it dispatches. Left
// alone, in-flight questions drift out of step and a batch carried 1.35
// questions on average. And llama.cpp keeps one KV stream per sequence and
// puts only consecutive, increasing sequence ids in one pass (split_equal
// with sequential = true): a batch of sequences 2, 0, 3, 1 goes in three
// passes, each with a decode's fixed cost (on this 2-vCPU VM with 2 threads,
// a helper thread started per pass: about 10 ms, bench/decode-cost.ts).
// Lined up and in order, one pass serves every question: 2.7-2.9× the
// throughput of one at a time in generate scoring (bench B5).
//
// Correctness. When a batch's outputs come out of llama.cpp in another order
// than they went in (two prompts of different lengths split into passes),
// llama.cpp swaps the output rows back lazily, on the first logits read,
// without a lock; node-llama-cpp reads them from several threads at once
// (one sampling job per sequence). The swaps then run twice or interleave,
// and questions get each other's answers: 3 runs in 12 handed probabilities
// to the wrong question. Outputs keep their order when a batch holds
// one-token decodes in sequence order and at most one longer decode (a
// prompt), placed last. So that is all a group ever holds, and the next
// group waits until this one is done.
//
// A group forms when every question in flight is waiting for a decode, or
// `maxWaitMs` after the first arrived, so one busy elsewhere (tokenizing,
// waiting for a sequence) cannot stall the rest.

interface Waiter {
  /** The sequence's index: llama.cpp wants increasing ids within a pass. */
  order: number
  /** Tokens this decode evaluates: more than one makes it a prompt. */
  tokens: number
  arrived: number
  go: () => void
}

export class DecodeGate {
  private active = 0
  private waiting: Waiter[] = []
  private inFlight = 0
  private arrivals = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private timedOut = false
  /** Groups let through, and decodes in them: decodes ÷ groups is the batch size achieved. */
  readonly stats = { groups: 0, decodes: 0 }

  constructor(private readonly maxWaitMs: number) {}

  /** A question starts using the context. */
  enter(): void {
    this.active++
  }

  /** A question is done with the context; those waiting no longer wait for it. */
  leave(): void {
    this.active--
    this.next()
  }

  /** Runs `decode` when its group's turn comes; `order` is the sequence's index, `tokens` what it evaluates. */
  async decode<T>(order: number, tokens: number, decode: () => Promise<T>): Promise<T> {
    await new Promise<void>((go) => {
      this.waiting.push({ order, tokens, arrived: this.arrivals++, go })
      this.next()
    })
    try {
      return await decode()
    } finally {
      this.inFlight--
      this.next()
    }
  }

  private next(): void {
    if (this.inFlight > 0 || this.waiting.length === 0) return
    if (this.waiting.length < this.active && !this.timedOut) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined
        this.timedOut = true
        this.next()
      }, this.maxWaitMs)
      return
    }
    clearTimeout(this.timer)
    this.timer = undefined
    this.timedOut = false
    const group = pickGroup(this.waiting)
    this.waiting = this.waiting.filter((w) => !group.includes(w))
    this.inFlight = group.length
    this.stats.groups++
    this.stats.decodes += group.length
    // On a later turn, in group order: node-llama-cpp queues them in the order they call it.
    setImmediate(() => {
      for (const w of group) w.go()
    })
  }
}

/** One-token decodes in sequence order, then the longer decode that arrived first, if any. */
export function pickGroup<W extends Pick<Waiter, 'order' | 'tokens' | 'arrived'>>(waiting: readonly W[]): W[] {
  const steps = waiting.filter((w) => w.tokens <= 1).sort((a, b) => a.order - b.order)
  const prompt = waiting.filter((w) => w.tokens > 1).sort((a, b) => a.arrived - b.arrived)[0]
  return prompt ? [...steps, prompt] : steps
}
