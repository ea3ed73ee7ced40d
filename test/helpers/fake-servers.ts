// In-process stand-ins for servers behind the dispatcher: an Engine whose
// sessions answer after a latency, `slots` at a time (the rest queue, like
// Ollama's default one slot), or fail as a test says. No HTTP: the dispatcher's
// rules are tested here at memory speed; test/servers-*.test.ts cover the wire.
import type { Engine, RawAnswer } from '../../src/backends/backend.js'
import type { Prompt } from '../../src/prompt/prompt.js'

export interface FakeServer {
  engine: Engine
  /** Every request, in arrival order: its prompt suffix and what became of it. */
  requests: { suffix: string; at: number; outcome?: 'answered' | 'failed' }[]
  /** Served at once, at most. */
  maxBusy: number
  set(options: Partial<FakeServerOptions>): void
}

export interface FakeServerOptions {
  latencyMs: number
  slots: number
  /** An error to throw for the nth request (1-based), or undefined to answer it. */
  fail?: (n: number, suffix: string) => Error | undefined
  /** Never answer the nth request (until aborted). */
  hang?: (n: number) => boolean
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true })
  })

export function fakeServer(name: string, initial: Partial<FakeServerOptions> = {}): FakeServer {
  const o: FakeServerOptions = { latencyMs: 0, slots: 1, ...initial }
  let busy = 0
  const queue: (() => void)[] = []
  const state: FakeServer = {
    requests: [],
    maxBusy: 0,
    set: (p) => Object.assign(o, p),
    engine: {
      info: { engine: 'fake', model: 'm', source: name, digest: 'sha256:same', reason: 'test', details: {} },
      scoringModes: ['logprob', 'generate'],
      async openSession() {
        return {
          details: { endpoint: 'fake' },
          async answer(prompt: Prompt, signal: AbortSignal): Promise<RawAnswer> {
            const n = state.requests.length + 1
            const entry: FakeServer['requests'][number] = { suffix: prompt.suffix, at: Date.now() }
            state.requests.push(entry)
            const failure = o.fail?.(n, prompt.suffix)
            if (failure) {
              entry.outcome = 'failed'
              throw failure
            }
            const startedAt = Date.now()
            const t0 = performance.now()
            if (busy >= o.slots) await new Promise<void>((r) => queue.push(r))
            busy++
            state.maxBusy = Math.max(state.maxBusy, busy)
            try {
              if (o.hang?.(n)) await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))
              await sleep(o.latencyMs, signal)
            } finally {
              busy--
              queue.shift()?.()
            }
            entry.outcome = 'answered'
            return { probabilities: { A: 0.1, B: 0.6, C: 0.1, D: 0.1 }, letterForm: 'spaced', text: ' B', promptTokens: 10, evaluatedTokens: 10, completionTokens: 1, startedAt, latencyMs: performance.now() - t0 }
          },
          async close() {},
        }
      },
    },
  }
  return state
}

export const promptFor = (i: number): Prompt => ({ prefix: 'p\n\n', suffix: `q${i}\nAnswer:`, shots: 0 })
