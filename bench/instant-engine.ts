// A benchmark-only engine that answers at once and deterministically, so a run
// through it measures the harness alone (dataset, prompts, Vitest glue,
// reporter, results file) and nothing of a model.
// Loaded by the suite through MMLU_ENGINE_MODULE=bench/instant-engine.ts, and
// called directly by the bare loop in bench/harness.ts.
import type { Engine, RawAnswer, Session } from '../src/backends/backend.js'
import type { Letter } from '../src/dataset/question.js'
import type { Options } from '../src/config/options.js'
import type { Prompt } from '../src/prompt/prompt.js'
import { promptLetters, promptText } from '../src/prompt/prompt.js'
import type { LetterProbabilities } from '../src/base/record.js'

/** FNV-1a over the question text: the same prompt always gets the same answer. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** One probability per letter from the bytes of the hash (four per hash), normalized. */
export function instantProbabilities(prompt: Prompt): LetterProbabilities {
  const letters = promptLetters(prompt)
  const hashes = [fnv1a(prompt.suffix), fnv1a(`${prompt.suffix}#`), fnv1a(`${prompt.suffix}##`)]
  const w = letters.map((_, i) => 1 + ((hashes[Math.floor(i / 4)]! >>> (8 * (i % 4))) & 0xff))
  const sum = w.reduce((a, b) => a + b, 0)
  return Object.fromEntries(letters.map((l, i) => [l, w[i]! / sum]))
}

/** Roughly a real tokenizer's rate on English (≈4 chars/token), only so records carry plausible counts. */
export const approxTokens = (text: string): number => Math.ceil(text.length / 4)

/** When the engine always answers `letter`: .97 for it, the rest shared by the prompt's other letters. */
function fixedProbabilities(prompt: Prompt, letter: Letter): LetterProbabilities {
  const letters = promptLetters(prompt)
  return Object.fromEntries(letters.map((l) => [l, l === letter ? 0.97 : 0.03 / (letters.length - 1)]))
}

/** The answer to `prompt`: the hash's letter, or `letter` whatever the prompt when one is given. */
export function instantAnswer(prompt: Prompt, letter?: Letter): RawAnswer {
  const startedAt = Date.now()
  const t0 = performance.now()
  const probabilities = letter ? fixedProbabilities(prompt, letter) : instantProbabilities(prompt)
  let best: Letter = 'A'
  for (const l of promptLetters(prompt)) if (probabilities[l]! > probabilities[best]!) best = l
  const promptTokens = approxTokens(promptText(prompt))
  return {
    probabilities,
    text: ` ${best}`,
    promptTokens,
    evaluatedTokens: promptTokens,
    completionTokens: 0,
    startedAt,
    latencyMs: performance.now() - t0,
  }
}

/** `letter`: answer it to every question (fixtures/engines/always-d.ts), for exact expected counts. */
export function openInstantEngine(letter?: Letter): Engine {
  return {
    info: {
      engine: 'instant',
      model: letter ? `instant, always ${letter} (test)` : 'instant (benchmark)',
      source: 'bench/instant-engine.ts',
      reason: 'MMLU_ENGINE_MODULE names the benchmark engine',
      details: {},
    },
    scoringModes: ['logprob', 'generate'],
    async openSession(request) {
      const session: Session = {
        details: { sequences: request.concurrency },
        async answer(prompt, signal) {
          signal.throwIfAborted()
          return instantAnswer(prompt, letter)
        },
        async close() {},
      }
      return session
    },
  }
}

/** The MMLU_ENGINE_MODULE entry point: (options, workers) => Promise<Engine>. */
export default async function open(_options: Options, _workers: number): Promise<Engine> {
  return openInstantEngine()
}
