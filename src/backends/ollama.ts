// An Ollama server as the engine, through the `ollama` npm package.
// - raw (default): the lm-eval prompt byte for byte on /api/generate with
//   `raw: true`, so no chat template wraps it; chat: the few-shot examples as
//   user/assistant turns, then the question, on /api/chat (prompt.ts chatMessages).
// - Log-prob scoring (Ollama ≥ 0.12.11): `num_predict: 1`, `logprobs` and
//   `top_logprobs: 20`; the four letters are read from the first generated
//   token's alternatives (see lettersFromTopLogprobs). Older servers fall back
//   to generate scoring, with a one-line warning.
// - Every request: temperature 0, a fixed seed, `keep_alive` so the model stays
//   loaded for the run, and one `num_ctx` for the session (see numCtx).
// - Each `answer` is one HTTP request; retries and deadlines are shared code
//   (guard.ts), concurrency is Vitest's (MMLU_CONCURRENCY tests in flight).
import type { ChatResponse, GenerateResponse, Ollama, ProgressResponse, ShowResponse } from 'ollama'
import type { PromptFormat } from '../config/options.js'
import type { Prompt } from '../prompt/prompt.js'
import { chatMessages, promptText } from '../prompt/prompt.js'
import type { Engine, EngineInfo, RawAnswer, Session, SessionRequest } from './backend.js'
import { EngineError } from './backend.js'
import { connectionFailure } from './guard.js'
import { modelName, parseModelReference } from './ollama-store.js'
import type { PromptCounter } from './ollama-tokens.js'
import { tokenUpperBound } from './ollama-tokens.js'
import { letterFormOf, lettersFromTopLogprobs, redactUrl, requestFailure } from './server.js'
import { isSimulatedVersion } from '../base/simulated.js'

/** The first Ollama release that returns log-probs on /api/generate and /api/chat. */
export const LOGPROBS_SINCE = '0.12.11'
/** Ollama's most alternatives per token. */
export const TOP_LOGPROBS = 20
/**
 * The smallest num_ctx we ask for. Ollama reloads the model whenever num_ctx
 * changes, so files of one run should agree: every MMLU prompt fits 8192 by an
 * exact count (the longest 5-shot prompt is about 3,000 Llama 3 tokens); by
 * the byte upper bound the longest subjects ask for 16384.
 */
export const MIN_NUM_CTX = 8192

/**
 * One client per request: the package passes no AbortSignal on non-streamed calls, so it goes in through `fetch`.
 * The package is loaded at the first request, not by every run that imports this file (issue 27: start-up).
 */
async function client(host: string, signal?: AbortSignal): Promise<Ollama> {
  const { Ollama } = await import('ollama')
  return new Ollama({ host, fetch: signal ? (input, init) => fetch(input, { ...init, signal }) : fetch })
}

/** The package's ResponseError (not exported): an HTTP status and the server's `error` text. */
function httpError(e: unknown): { status: number; message: string } | undefined {
  const r = e as { name?: unknown; status_code?: unknown; error?: unknown }
  return r && r.name === 'ResponseError' && typeof r.status_code === 'number' ? { status: r.status_code, message: String(r.error) } : undefined
}

function isTimeout(e: unknown): boolean {
  return (e as Error)?.name === 'TimeoutError' || (e as Error)?.name === 'AbortError'
}

export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => (/^v?(\d+)\.(\d+)\.(\d+)/.exec(v.trim()) ?? []).slice(1).map(Number)
  const [x, y] = [parse(a), parse(b)]
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0)
  return 0
}

/** Whether this server version returns log-probs. Dev builds report 0.0.0 and are treated as older. */
export function supportsLogprobs(version: string): boolean {
  return compareVersions(version, LOGPROBS_SINCE) >= 0
}

export type ServerProbe = { reachable: true; version: string } | { reachable: false; why: string }

/** Asks /api/version, waiting at most `timeoutMs`: whether an Ollama server is there, and which. */
export async function probeOllama(host: string, timeoutMs: number): Promise<ServerProbe> {
  try {
    const { version } = await (await client(host, AbortSignal.timeout(timeoutMs))).version()
    if (typeof version !== 'string') return { reachable: false, why: 'something answered /api/version, but not like Ollama' }
    return { reachable: true, version }
  } catch (e) {
    const http = httpError(e)
    if (http) return { reachable: false, why: `something answered /api/version with HTTP ${http.status}; it does not look like Ollama` }
    if (isTimeout(e)) return { reachable: false, why: `no answer within ${timeoutMs / 1000} s` }
    return { reachable: false, why: connectionFailure(e) ?? (e as Error).message }
  }
}

/** What the server says about one model: enough for provenance and context sizing. */
export interface OllamaModelFacts {
  /** `sha256:<hex>` of the weights blob when /api/show names it, else of the manifest (/api/tags). */
  digest?: string
  /** The manifest digest's first 12 hex digits: the ID `ollama list` shows. */
  id?: string
  contextLength?: number
  quantization?: string
  parameters?: string
  /** The chat template and system prompt: what /api/chat adds around a message. */
  template?: string
  system?: string
}

function facts(show: ShowResponse, tagDigest: string | undefined): OllamaModelFacts {
  const info = (show.model_info ?? {}) as unknown as Record<string, unknown>
  const arch = info['general.architecture']
  const ctx = typeof arch === 'string' ? info[`${arch}.context_length`] : undefined
  // The Modelfile's FROM line names the weights blob: the same digest the store (and llama.cpp on it) records.
  const blob = /^FROM\s+\S*sha256[-:]([0-9a-f]{64})\s*$/m.exec(show.modelfile ?? '')?.[1]
  return {
    digest: blob ? `sha256:${blob}` : tagDigest ? `sha256:${tagDigest}` : undefined,
    id: tagDigest?.slice(0, 12),
    contextLength: typeof ctx === 'number' && ctx > 0 ? ctx : undefined,
    quantization: show.details?.quantization_level || undefined,
    parameters: show.details?.parameter_size || undefined,
    ...(show.template ? { template: show.template } : {}),
    ...(show.system ? { system: show.system } : {}),
  }
}

/** /api/show and /api/tags for one model; undefined when the server does not have it (404). */
export async function showOllamaModel(host: string, model: string, timeoutMs: number): Promise<OllamaModelFacts | undefined> {
  const where = `Ollama at ${redactUrl(host)}`
  const ollama = await client(host, AbortSignal.timeout(timeoutMs))
  let show: ShowResponse
  try {
    show = await ollama.show({ model })
  } catch (e) {
    if (httpError(e)?.status === 404) return undefined
    throw new EngineError(`${where}: /api/show for ${model} failed (${httpError(e)?.message ?? connectionFailure(e) ?? (e as Error).message}).`)
  }
  const wanted = parseModelReference(model)
  const same = (name: string) => {
    const r = parseModelReference(name)
    return r && wanted ? modelName(r) === modelName(wanted) : name === model
  }
  // The digest is provenance, not a condition: a failing /api/tags leaves it out.
  const tags = await ollama.list().catch(() => undefined)
  const tag = tags?.models?.find((m) => same(m.name) || same(m.model))
  return facts(show, typeof tag?.digest === 'string' ? tag.digest : undefined)
}

const BAR = 24
const size = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`)

/** One progress line of `ollama pull`: the status, and for a download a bar with percent and sizes. */
export function renderPullProgress(p: Pick<ProgressResponse, 'status'> & Partial<ProgressResponse>): string {
  if (!p.total) return p.status
  const done = Math.min(p.completed ?? 0, p.total)
  const filled = Math.round((done / p.total) * BAR)
  return `${p.status} [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${String(Math.floor((done / p.total) * 100)).padStart(3)}% ${size(done)}/${size(p.total)}`
}

/**
 * Pulls a model through the server, streaming its progress to `out`: redrawn
 * in place on a terminal, otherwise a line per status and per quarter of each
 * download.
 */
export async function pullOllamaModel(host: string, model: string, out: { write(text: string): unknown; isTTY?: boolean } = process.stderr): Promise<void> {
  const prefix = `ollama pull ${model}: `
  let last = ''
  let quarter = -1
  try {
    const stream = await (await client(host)).pull({ model, stream: true })
    for await (const p of stream) {
      const line = renderPullProgress(p)
      if (out.isTTY) {
        out.write(`\r${prefix}${line}\x1b[K`)
        continue
      }
      const q = p.total ? Math.floor(((p.completed ?? 0) / p.total) * 4) : -1
      if (p.status !== last || q !== quarter) out.write(`${prefix}${line}\n`)
      last = p.status
      quarter = q
    }
    if (out.isTTY) out.write('\n')
  } catch (e) {
    if (out.isTTY) out.write('\n')
    const why = httpError(e)?.message ?? connectionFailure(e) ?? (e as Error).message
    throw new EngineError(`Ollama at ${redactUrl(host)} could not pull ${model}: ${why}. Fix: check the name (https://ollama.com/library), or run \`ollama pull ${model}\` yourself.`)
  }
}

export interface OllamaEngineOptions {
  /** Base URL, as options.ts normalized OLLAMA_HOST. */
  host: string
  model: string
  reason: string
  /** From /api/version. */
  version: string
  facts: OllamaModelFacts
  promptFormat: PromptFormat
  keepAlive: string | number
  seed: number
  /** False when the run asked for generate scoring: then an old server needs no warning. */
  wantLogprobs: boolean
  /** Where the one-line fallback warning goes. */
  warn?: (line: string) => void
  /** Counts prompt tokens (ollama-tokens.ts); default the upper bound that needs no tokenizer. */
  counter?: PromptCounter
}

/** A power of two that holds the longest prompt and the answer, at least MIN_NUM_CTX, at most the model's context. */
export function numCtx(request: Pick<SessionRequest, 'promptTokens' | 'scoring' | 'maxTokens'>, contextLength: number | undefined): number {
  const needed = (request.promptTokens ?? 0) + (request.scoring === 'generate' ? request.maxTokens : 1)
  let n = MIN_NUM_CTX
  while (n < needed) n *= 2
  return Math.min(n, contextLength ?? n)
}

export function openOllamaEngine(o: OllamaEngineOptions): Engine {
  const logprobs = supportsLogprobs(o.version)
  if (!logprobs && o.wantLogprobs) {
    ;(o.warn ?? ((line) => process.stderr.write(`${line}\n`)))(
      `MMLU warning: Ollama ${o.version} at ${redactUrl(o.host)} returns no log-probs (they need ${LOGPROBS_SINCE} or later): scoring by generate.`,
    )
  }
  const details: EngineInfo['details'] = { server: o.version, logprobs: logprobs ? 'yes' : `no (needs ${LOGPROBS_SINCE})`, prompt: o.promptFormat }
  if (o.facts.id) details.id = o.facts.id
  if (o.facts.parameters) details.parameters = o.facts.parameters
  if (o.facts.quantization) details.quantization = o.facts.quantization
  details.keepAlive = o.keepAlive
  details.seed = o.seed
  details.tokens = o.counter?.how ?? 'upper bound (UTF-8 bytes)'
  const info: EngineInfo = {
    engine: 'ollama',
    model: o.model,
    source: redactUrl(o.host),
    server: redactUrl(o.host),
    digest: o.facts.digest,
    reason: o.reason,
    details,
    ...(isSimulatedVersion(o.version) ? { simulated: true as const } : {}),
  }
  return {
    info,
    scoringModes: logprobs ? ['logprob', 'generate'] : ['generate'],
    trainedContextTokens: o.facts.contextLength,
    // Ollama has no tokenize endpoint: the local tokenizer where the store has the model, else an upper bound (ollama-tokens.ts).
    // A chat prompt is counted by its text: the template's headers around each of its turns are not (a few tokens a turn).
    countTokens: (p) => (o.counter?.count ?? tokenUpperBound)(typeof p === 'string' ? p : promptText(p)),
    async openSession(request) {
      return openOllamaSession(o, request)
    },
  }
}

function openOllamaSession(o: OllamaEngineOptions, request: SessionRequest): Session {
  const chat = o.promptFormat === 'chat'
  const logprob = request.scoring === 'logprob'
  const ctx = numCtx(request, o.facts.contextLength)
  const endpoint = chat ? '/api/chat' : '/api/generate'
  const letterForm = letterFormOf(chat)
  const where = `Ollama at ${redactUrl(o.host)} ${endpoint}`
  const common = {
    model: o.model,
    stream: false as const,
    keep_alive: o.keepAlive,
    options: { temperature: 0, seed: o.seed, num_predict: logprob ? 1 : request.maxTokens, num_ctx: ctx },
    ...(logprob ? { logprobs: true, top_logprobs: TOP_LOGPROBS } : {}),
  }

  async function answer(prompt: Prompt, signal: AbortSignal): Promise<RawAnswer> {
    const text = promptText(prompt)
    const ollama = await client(o.host, signal)
    // MMLU_TEMPERATURE above 0 (generate scoring): this ask's temperature and seed, over the whole vocabulary.
    const s = prompt.sampling
    const request = s ? { ...common, options: { ...common.options, temperature: s.temperature, seed: s.seed, top_k: 0, top_p: 1 } } : common
    const startedAt = Date.now()
    const t0 = performance.now()
    let response: GenerateResponse | ChatResponse
    try {
      response = chat ? await ollama.chat({ ...request, messages: chatMessages(prompt) }) : await ollama.generate({ ...request, prompt: text, raw: true })
    } catch (e) {
      const http = httpError(e)
      throw requestFailure(e, signal, where, http?.status, http?.message ?? (e as Error).message)
    }
    const latencyMs = performance.now() - t0
    const output = chat ? (response as ChatResponse).message?.content : (response as GenerateResponse).response
    if (typeof output !== 'string') {
      // An error sent with HTTP 200 ({"error": "model runner has unexpectedly stopped"}): say what the server said.
      const said = (response as { error?: unknown }).error
      throw new EngineError(`${where}: the reply has no ${chat ? 'message.content' : 'response'} field${typeof said === 'string' ? `: ${said}` : ''}`)
    }
    let probabilities: RawAnswer['probabilities']
    if (logprob) {
      const top = response.logprobs?.[0]?.top_logprobs
      if (!Array.isArray(top)) throw new EngineError(`${where}: the reply has no logprobs[0].top_logprobs although they were asked for. Fix: MMLU_SCORING=generate.`)
      probabilities = lettersFromTopLogprobs(top, letterForm)
    }
    const promptTokens = response.prompt_eval_count ?? 0
    return { probabilities, ...(logprob ? { letterForm } : {}), text: output, promptTokens, evaluatedTokens: promptTokens, completionTokens: response.eval_count ?? 0, startedAt, latencyMs }
  }

  return {
    details: { numCtx: ctx, endpoint },
    answer,
    async close() {},
  }
}
