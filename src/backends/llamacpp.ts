// The embedded engine: llama.cpp in-process through node-llama-cpp.
// - The model is loaded once per worker process and shared by its files.
// - Threads are set explicitly (node-llama-cpp's CPU default oversubscribes
//   small machines by 10-35x, see REFERENCE.md).
// - Log-prob scoring is one forward pass: the next-token probabilities of the
//   four letter tokens after `Answer:`.
// - Each sequence keeps the tokens it evaluated last; the next prompt only
//   evaluates what differs, so the k-shot prefix is evaluated once per sequence.
// - Concurrent questions run on separate sequences of one context, which
//   llama.cpp batches into one decode; decode-gate.ts decides what goes in a
//   batch (all one-token steps, at most one prompt), for speed and because
//   other batches can hand answers to the wrong question.
// - MMLU_PROMPT_FORMAT=chat wraps the prompt in the model's own chat template
//   (llamacpp-chat.ts); MMLU_TEMPERATURE above 0 samples generated tokens with
//   each ask's seed.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { basename } from 'node:path'
import { getLlama, LlamaLogLevel } from 'node-llama-cpp'
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp'
import type { Letter } from '../dataset/question.js'
import { lettersOf, MMLU_OPTIONS } from '../dataset/question.js'
import type { GpuMode, PromptFormat, ScoringMode } from '../config/options.js'
import type { Prompt } from '../prompt/prompt.js'
import { continuation, promptLetters, promptText } from '../prompt/prompt.js'
import { deriveSeed } from '../base/random.js'
import type { LetterProbabilities } from '../base/record.js'
import type { Engine, EngineInfo, RawAnswer, Session, SessionRequest } from './backend.js'
import { EngineError } from './backend.js'
import { checkGguf } from './gguf-check.js'
import { bareLetterToken, chatTokenizer } from './llamacpp-chat.js'
import { physicalCores } from './cpu.js'
import { DecodeGate } from './decode-gate.js'

/**
 * How long a question's decode waits for the others in flight to join its
 * batch. Short next to a decode (a one-token decode is ~1 ms on one thread,
 * ~10 ms on two here): it only matters when a question is busy elsewhere.
 */
const DECODE_GATE_MAX_WAIT_MS = 2

export interface LlamaCppOptions {
  modelPath: string
  /** Why this file was chosen (shown in the run header). */
  reason: string
  gpu: GpuMode
  /** Explicit threads, or undefined for physical cores ÷ workers. */
  threads: number | undefined
  /** Vitest workers running files at the same time on this machine. */
  workers: number
  /** Known digest (e.g. from an Ollama manifest); otherwise the file is hashed. */
  digest?: string
  /** raw (default): the prompt as text; chat: its turns (prompt.ts chatMessages) in the model's chat template. */
  promptFormat?: PromptFormat
}

interface Loaded {
  llama: Llama
  model: LlamaModel
  digest: string
  threads: number
}

// One load per worker process: with `isolate: false` the files of a worker
// share this module, and the cache also survives module re-evaluation.
const registry: Map<string, Promise<Loaded>> = ((globalThis as Record<string, unknown>).__mmluLlamaModels ??= new Map()) as Map<
  string,
  Promise<Loaded>
>

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer)
  return `sha256:${hash.digest('hex')}`
}

async function load(opts: LlamaCppOptions): Promise<Loaded> {
  await checkGguf(opts.modelPath)
  const threads = opts.threads ?? Math.max(1, Math.floor(physicalCores() / Math.max(1, opts.workers)))
  const llama = await getLlama({
    gpu: opts.gpu === 'off' ? false : 'auto',
    maxThreads: threads,
    build: 'never',
    logLevel: LlamaLogLevel.error,
    progressLogs: false,
  })
  const [model, digest] = await Promise.all([
    llama.loadModel({ modelPath: opts.modelPath }).catch((e: Error) => {
      throw new EngineError(`${opts.modelPath}: llama.cpp could not load the model (${e.message}). Fix: check that the file is a complete GGUF model supported by llama.cpp.`)
    }),
    opts.digest ? Promise.resolve(opts.digest) : sha256File(opts.modelPath),
  ])
  return { llama, model, digest, threads }
}

/**
 * The token of each answer letter as it follows the prompt, found on first use:
 * tokenize "Answer:" and "Answer: X" and take the extra token. That is how the
 * letter appears after the prompt, for SentencePiece ("▁A") and BPE ("ĠA") alike.
 */
function letterTokens(model: LlamaModel): (letter: Letter) => Token {
  const base = model.tokenize('Answer:')
  const found = new Map<Letter, Token>()
  return (letter) => {
    let token = found.get(letter)
    if (token !== undefined) return token
    const withLetter = model.tokenize(`Answer:${continuation(letter)}`)
    const extra = withLetter.slice(base.length)
    const sameStart = base.every((t, i) => withLetter[i] === t)
    if (!sameStart || extra.length !== 1) {
      throw new EngineError(`This model's vocabulary has no single token for "${continuation(letter)}" after "Answer:"; use MMLU_SCORING=generate.`)
    }
    token = extra[0] as Token
    found.set(letter, token)
    return token
  }
}

/** The letters' tokens at the start of a chat reply: "A", not " A". */
function bareLetterTokens(model: LlamaModel): (letter: Letter) => Token {
  const found = new Map<Letter, Token>()
  return (letter) => {
    let token = found.get(letter)
    if (token !== undefined) return token
    token = bareLetterToken(model, letter)
    if (token === undefined) throw new EngineError(`This model's vocabulary has no single token for "${letter}" at the start of a reply; use MMLU_SCORING=generate.`)
    found.set(letter, token)
    return token
  }
}

export async function openLlamaCppEngine(opts: LlamaCppOptions): Promise<Engine> {
  const key = `${opts.modelPath}|${opts.gpu}|${opts.threads ?? `w${opts.workers}`}`
  let pending = registry.get(key)
  if (!pending) {
    pending = load(opts)
    registry.set(key, pending)
    pending.catch(() => registry.delete(key))
  }
  const { llama, model, digest, threads } = await pending
  const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null
  const chat = opts.promptFormat === 'chat'
  const raw = (text: string): Token[] => (bos === null ? model.tokenize(text) : [bos, ...model.tokenize(text)])
  const tokenize: (p: Prompt | string) => Token[] = chat ? chatTokenizer(model, basename(opts.modelPath)) : (p) => raw(typeof p === 'string' ? p : promptText(p))
  // The suite counts every prompt's tokens (to fit the context) before it opens the session
  // that asks them: the tokens counted go to that session, so a prompt is tokenized once,
  // not twice (tokenizing was a third of the worker's CPU in a fixture model's run).
  let counted = new Map<string, Token[]>()

  const info: EngineInfo = {
    engine: 'llama.cpp',
    model: basename(opts.modelPath),
    source: opts.modelPath,
    digest,
    reason: opts.reason,
    details: { threads, gpu: llama.gpu === false ? 'off' : llama.gpu, trainedContext: model.trainContextSize, ...(chat ? { prompt: 'chat (GGUF template)' } : {}) },
  }

  return {
    info,
    scoringModes: ['logprob', 'generate'],
    trainedContextTokens: model.trainContextSize,
    countTokens: (p) => {
      const tokens = tokenize(p)
      if (typeof p !== 'string' && counted.size < COUNTED_MAX) counted.set(promptKey(p), tokens)
      return tokens.length
    },
    async openSession(request) {
      const mine = counted
      counted = new Map()
      // Each counted prompt's tokens serve its first ask; trials and uncounted prompts tokenize.
      const tokensOf = (p: Prompt): Token[] => {
        const key = promptKey(p)
        const tokens = mine.get(key)
        if (!tokens) return tokenize(p)
        mine.delete(key)
        return tokens
      }
      return openSession(model, tokensOf, threads, request, chat)
    },
  }
}

/** Prompts held between their count and their ask, at most (about 50 MB at 1,500 tokens a prompt); a file of more tokenizes the rest twice. */
const COUNTED_MAX = 4_096

/** What a prompt's tokens depend on: its text (a chat prompt's turns are made from the same prefix). */
const promptKey = (p: Prompt): string => `${p.shots}\u0000${p.prefix}\u0000${p.suffix}`

async function openSession(model: LlamaModel, tokenize: (p: Prompt) => Token[], threads: number, request: SessionRequest, chat: boolean): Promise<Session> {
  const letters = request.scoring === 'logprob' ? (chat ? bareLetterTokens(model) : letterTokens(model)) : undefined
  // Every MMLU letter must be a token before the first question: one clear error at open, not one per question.
  if (letters) for (const l of lettersOf(MMLU_OPTIONS)) letters(l)
  const needed = (request.promptTokens ?? 2048) + (request.scoring === 'generate' ? request.maxTokens : 1)
  const contextSize = Math.min(model.trainContextSize, Math.max(256, needed))
  let context: LlamaContext
  try {
    context = await model.createContext({ contextSize, sequences: request.concurrency, threads, batchSize: Math.min(contextSize, 2048) })
  } catch (e) {
    throw new EngineError(`llama.cpp could not create a context of ${contextSize} tokens × ${request.concurrency} sequences (${(e as Error).message}). Fix: lower MMLU_CONCURRENCY or MMLU_SHOTS.`)
  }
  const gate = new DecodeGate(DECODE_GATE_MAX_WAIT_MS)
  const free: LlamaContextSequence[] = []
  // A fresh context hands out sequence ids 0, 1, … in the order asked; the gate orders decodes by them.
  const order = new Map<LlamaContextSequence, number>()
  for (let i = 0; i < request.concurrency; i++) {
    const seq = context.getSequence()
    free.push(seq)
    order.set(seq, i)
  }
  const waiting: ((s: LlamaContextSequence) => void)[] = []

  const acquire = (): Promise<LlamaContextSequence> => {
    const s = free.pop()
    return s ? Promise.resolve(s) : new Promise((resolve) => waiting.push(resolve))
  }
  const release = (s: LlamaContextSequence) => {
    const next = waiting.shift()
    if (next) next(s)
    else free.push(s)
  }

  async function run(seq: LlamaContextSequence, prompt: Prompt): Promise<RawAnswer> {
    const tokens = tokenize(prompt)
    if (tokens.length + (request.scoring === 'generate' ? request.maxTokens : 1) > context.contextSize) {
      throw new EngineError(`prompt has ${tokens.length} tokens, more than the context of ${context.contextSize}`)
    }
    const startedAt = Date.now()
    const t0 = performance.now()
    // Keep the longest common prefix with what this sequence evaluated last.
    if (request.reusePrefix === false) await seq.clearHistory()
    else await seq.adaptStateToTokens(tokens, false)
    let reuse = seq.nextTokenIndex
    if (reuse >= tokens.length) {
      // Everything matched: re-evaluate the last token to get its next-token distribution.
      await seq.eraseContextTokenRanges([{ start: tokens.length - 1, end: seq.nextTokenIndex }])
      reuse = tokens.length - 1
    }
    const rest = tokens.slice(reuse)
    const last = rest.length - 1
    // Greedy, or (generate scoring above temperature 0) sampled over the whole vocabulary with
    // one seed per generated token, derived from the ask's: a fresh sampler per call would
    // otherwise draw every token of the reply from the same first number.
    const sampling = letters === undefined ? prompt.sampling : undefined
    const draw = (step: number) => (sampling ? { temperature: sampling.temperature, seed: deriveSeed(sampling.seed, step), topK: 0, topP: 1 } : { temperature: 0 })
    const input = rest.map((t, i) =>
      i === last ? ([t, { generateNext: { probabilities: letters !== undefined, token: true, options: draw(0) } }] as const) : t,
    )
    const place = order.get(seq)!
    const out = await gate.decode(place, input.length, () => seq.controlledEvaluate(input as Parameters<LlamaContextSequence['controlledEvaluate']>[0]))
    const next = out[last]?.next
    if (!next) throw new EngineError('llama.cpp returned no next-token result')

    let probabilities: LetterProbabilities | undefined
    let text: string
    let completionTokens = 0
    let extraEvaluated = 0
    if (letters) {
      const dist = next.probabilities
      if (!dist) throw new EngineError('llama.cpp returned no probabilities')
      probabilities = Object.fromEntries(promptLetters(prompt).map((l) => [l, dist.get(letters(l)) ?? 0]))
      // Detokenize against the prompt so a leading space (" C") survives.
      text = next.token == null ? '' : model.detokenize([next.token], false, tokens)
    } else {
      const generated: Token[] = []
      let steps = 0
      let token = next.token ?? null
      while (token !== null && !model.isEogToken(token) && generated.length < request.maxTokens) {
        generated.push(token)
        if (model.detokenize([token]).includes('\n') && generated.length > 1) break
        if (generated.length === request.maxTokens) break
        const options = draw(steps + 1)
        const step = await gate.decode(place, 1, () => seq.controlledEvaluate([[token!, { generateNext: { token: true, options } }]]))
        steps++
        token = step[0]?.next.token ?? null
      }
      completionTokens = generated.length
      extraEvaluated = steps
      text = model.detokenize(generated, false, tokens)
    }
    return {
      probabilities,
      // The letter tokens are those that follow "Answer:" (letterTokens): " A", as lm-eval scores.
      ...(probabilities ? { letterForm: 'spaced' as const } : {}),
      text,
      promptTokens: tokens.length,
      evaluatedTokens: rest.length + extraEvaluated,
      completionTokens,
      startedAt,
      latencyMs: performance.now() - t0,
    }
  }

  return {
    details: { contextSize: context.contextSize, sequences: request.concurrency, batchSize: context.batchSize },
    async answer(prompt, signal) {
      const seq = await acquire()
      gate.enter()
      try {
        signal.throwIfAborted()
        return await run(seq, prompt)
      } finally {
        gate.leave()
        release(seq)
      }
    },
    async close() {
      await context.dispose()
    },
  }
}
