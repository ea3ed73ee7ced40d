// In-file concurrency on the embedded engine: questions in flight share one
// llama.cpp context, their decodes lined up by the step gate into batches.
// Batching must change nothing but the speed: every question gets the answer
// it gets alone, and one that fails does not hold up the rest.
import { LlamaContextSequence, LlamaModel } from 'node-llama-cpp'
import { describe, expect, test, vi } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import type { RawAnswer, Session, SessionRequest } from '../src/backends/backend.js'
import { openLlamaCppEngine } from '../src/backends/llamacpp.js'
import { loadSubject } from '../src/dataset/load.js'
import { LETTERS } from '../src/dataset/question.js'
import type { Prompt } from '../src/prompt/prompt.js'
import { fewShotPrefix, formatQuestion, promptText } from '../src/prompt/prompt.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'

async function fixturePrompts(): Promise<Prompt[]> {
  const prompts: Prompt[] = []
  for (const subject of ['astronomy', 'business_ethics']) {
    const { dev, test: questions } = await loadSubject(FIXTURE_DATA_DIR, subject, { allowPartial: true })
    const prefix = fewShotPrefix(subject, dev, 2)
    for (const q of questions) prompts.push({ prefix, suffix: formatQuestion(q), shots: 2 })
  }
  return prompts
}

/** Every prompt through one session with `request.concurrency` in flight; a failure is kept as its message. */
async function askAll(session: Session, prompts: readonly Prompt[], concurrency: number): Promise<(RawAnswer | string)[]> {
  const out: (RawAnswer | string)[] = new Array(prompts.length)
  let next = 0
  const signal = new AbortController().signal
  const lane = async (): Promise<void> => {
    while (next < prompts.length) {
      const i = next++
      out[i] = await session.answer(prompts[i]!, signal).catch((e: Error) => e.message)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  await session.close()
  return out
}

/** The context is sized for the longest of `sizedFor` (all the prompts unless given). */
async function run(prompts: readonly Prompt[], request: Omit<SessionRequest, 'promptTokens'>, sizedFor = prompts): Promise<(RawAnswer | string)[]> {
  const engine = await openLlamaCppEngine({ modelPath: await fixtureModelPath('random-small'), reason: 'test', gpu: 'off', threads: 1, workers: 1 })
  const promptTokens = Math.max(...sizedFor.map((p) => engine.countTokens!(promptText(p))))
  return askAll(await engine.openSession({ ...request, promptTokens }), prompts, request.concurrency)
}

/**
 * Watches every evaluation the sequences send to node-llama-cpp: how many were
 * in flight at once, and how many of those were prompts (more than one token).
 */
async function watchEvaluations<T>(fn: () => Promise<T>): Promise<{ result: T; calls: number; maxInFlight: number; maxPromptsInFlight: number }> {
  const w = { calls: 0, inFlight: 0, promptsInFlight: 0, maxInFlight: 0, maxPromptsInFlight: 0 }
  const original = LlamaContextSequence.prototype.controlledEvaluate
  const spy = vi.spyOn(LlamaContextSequence.prototype, 'controlledEvaluate').mockImplementation(async function (this: LlamaContextSequence, ...args) {
    const prompt = args[0].length > 1
    w.calls++
    w.inFlight++
    if (prompt) w.promptsInFlight++
    w.maxInFlight = Math.max(w.maxInFlight, w.inFlight)
    w.maxPromptsInFlight = Math.max(w.maxPromptsInFlight, w.promptsInFlight)
    try {
      return await original.apply(this, args)
    } finally {
      w.inFlight--
      if (prompt) w.promptsInFlight--
    }
  })
  try {
    const result = await fn()
    return { result, calls: w.calls, maxInFlight: w.maxInFlight, maxPromptsInFlight: w.maxPromptsInFlight }
  } finally {
    spy.mockRestore()
  }
}

const texts = (answers: readonly (RawAnswer | string)[]): string[] => answers.map((a) => (typeof a === 'string' ? `error: ${a}` : a.text))

describe('embedded engine, questions in flight together', () => {
  test('generate scoring: 4 in flight give each question the text it gets alone', async () => {
    const prompts = await fixturePrompts()
    const alone = await run(prompts, { scoring: 'generate', concurrency: 1, maxTokens: 6 })
    const watched = await watchEvaluations(() => run(prompts, { scoring: 'generate', concurrency: 4, maxTokens: 6 }))
    const batched = watched.result
    // One-token steps of several questions went to llama.cpp together, never two prompts at once.
    expect(watched.maxInFlight).toBeGreaterThan(1)
    expect(watched.maxPromptsInFlight).toBe(1)
    expect(texts(alone).every((t) => !t.startsWith('error'))).toBe(true)
    // Greedy text from a random model varies little between prompts (the log-prob test below tells questions apart); it must vary some.
    expect(new Set(texts(alone)).size).toBeGreaterThan(1)
    expect(texts(batched)).toEqual(texts(alone))
    for (const a of batched) expect((a as RawAnswer).completionTokens).toBeGreaterThan(0)
  }, 120_000)

  test('log-prob scoring: 4 in flight give the same letter probabilities as one at a time, and never two prompts decode at once', async () => {
    const prompts = await fixturePrompts()
    const alone = (await run(prompts, { scoring: 'logprob', concurrency: 1, maxTokens: 1 })) as RawAnswer[]
    // When two prompts of different lengths shared a batch, llama.cpp could hand one question's
    // probabilities to another: a race, seen in 3 runs of 12 before the decode gate
    // (src/backends/decode-gate.ts). Repeating a run only catches it by chance (4 runs: about
    // 1 − (9/12)⁴ ≈ 68%), so the check is on its cause, which is deterministic: with 4 questions
    // asking at once, no two prompts (evaluations of more than one token) may be in flight together.
    const watched = await watchEvaluations(() => run(prompts, { scoring: 'logprob', concurrency: 4, maxTokens: 1 }))
    const batched = watched.result as RawAnswer[]
    expect(watched.calls).toBe(prompts.length)
    expect(watched.maxPromptsInFlight).toBe(1)
    // A random model spreads ~1/vocabulary on every token, so compare relative to the value.
    const relative = (a: RawAnswer, b: RawAnswer): number => Math.max(...LETTERS.slice(0, 4).map((l) => Math.abs(a.probabilities![l]! - b.probabilities![l]!) / a.probabilities![l]!))
    for (const [i, b] of batched.entries()) {
      // Batches round differently (f16 sums in another order): close, not equal.
      expect(relative(alone[i]!, b)).toBeLessThan(5e-3)
      // Closest to its own question's answer alone, not another's: nothing was handed to the wrong question.
      const distances = alone.map((a) => relative(a, b))
      expect(distances.indexOf(Math.min(...distances))).toBe(i)
    }
  }, 120_000)

  test('a question that fails leaves the others in flight to finish, with their own answers', async () => {
    const prompts = await fixturePrompts()
    // Too long for the context the session sizes from the other prompts: it fails before any decode.
    const tooLong: Prompt = { ...prompts[0]!, suffix: prompts[0]!.suffix.repeat(40) }
    const mixed = [...prompts.slice(0, 5), tooLong, ...prompts.slice(5)]
    const alone = await run(prompts, { scoring: 'generate', concurrency: 1, maxTokens: 4 })
    const batched = await run(mixed, { scoring: 'generate', concurrency: 4, maxTokens: 4 }, prompts)
    expect(batched[5]).toMatch(/prompt has \d+ tokens, more than the context of \d+/)
    expect(texts([...batched.slice(0, 5), ...batched.slice(6)])).toEqual(texts(alone))
  }, 120_000)
})

describe('embedded engine, tokens counted before the session', () => {
  test('a prompt counted to fit the context is tokenized once for its first ask, again for a second; the answers do not change', async () => {
    const prompts = (await fixturePrompts()).slice(0, 4)
    const texts = new Set(prompts.map(promptText))
    // node-llama-cpp binds tokenize to each model as it loads it: the spy goes on first, and the
    // model is one no other test of this file (this worker) has loaded.
    const spy = vi.spyOn(LlamaModel.prototype, 'tokenize')
    try {
      const engine = await openLlamaCppEngine({ modelPath: await fixtureModelPath('logits-1-3-2-0'), reason: 'test', gpu: 'off', threads: 1, workers: 1 })
      const request = { scoring: 'logprob' as const, concurrency: 1, maxTokens: 1, promptTokens: 1024 }
      const signal = new AbortController().signal
      const askEach = async (session: Session): Promise<RawAnswer[]> => {
        const out: RawAnswer[] = []
        for (const p of prompts) out.push(await session.answer(p, signal))
        return out
      }
      // Not counted: each ask tokenizes.
      const plainSession = await engine.openSession(request)
      const plain = await askEach(plainSession)
      await plainSession.close()
      const before = spy.mock.calls.length
      for (const p of prompts) engine.countTokens!(p)
      const session = await engine.openSession(request)
      const first = await askEach(session)
      const second = await askEach(session)
      await session.close()
      const calls = spy.mock.calls.slice(before).map(([text]) => text as string).filter((t) => texts.has(t))
      // The count, then the second ask; the first ask used the count's tokens.
      expect(calls).toHaveLength(2 * prompts.length)
      for (const t of texts) expect(calls.filter((c) => c === t)).toHaveLength(2)
      expect(first.map((a) => a.probabilities)).toEqual(plain.map((a) => a.probabilities))
      expect(second.map((a) => a.probabilities)).toEqual(plain.map((a) => a.probabilities))
    } finally {
      spy.mockRestore()
    }
  }, 120_000)
})
