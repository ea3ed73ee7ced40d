// An OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp's server, …) as
// the engine, through the `openai` npm package.
// - raw (default): the lm-eval prompt on /v1/completions; chat: the few-shot
//   examples as user/assistant turns, then the question, on
//   /v1/chat/completions (prompt.ts chatMessages).
// - Log-prob scoring where the server returns log-probs: one probe request at
//   open tells; otherwise generate scoring, with a one-line warning.
// - The package's own retries are off (maxRetries 0): retries are shared code
//   (guard.ts), so nothing is sent twice behind our back.
// - The API key goes only into the Authorization header: it is scrubbed from
//   every message and never put in EngineInfo.
import OpenAI, { APIError } from 'openai'
import type { PromptFormat } from '../config/options.js'
import type { Secret } from '../config/secret.js'
import type { Prompt, Sampling } from '../prompt/prompt.js'
import { chatMessages, promptText } from '../prompt/prompt.js'
import type { Engine, EngineInfo, RawAnswer, Session, SessionRequest } from './backend.js'
import { EngineError } from './backend.js'
import { connectionFailure } from './guard.js'
import type { TopLogprob } from './server.js'
import { letterFormOf, lettersFromTopLogprobs, redactUrl, requestFailure, scrub, urlSecrets } from './server.js'
import { SIMULATED_OWNER } from '../base/simulated.js'

/** vLLM's default cap on alternatives per token (--max-logprobs); OpenAI's chat API allows 20 too. */
export const TOP_LOGPROBS = 20
/** OpenAI's own completions API takes at most 5 ("The maximum value for logprobs is 5"): asked when 20 is refused. */
export const TOP_LOGPROBS_FALLBACK = 5
/** How long opening waits for the server to answer /models. */
export const OPEN_TIMEOUT_MS = 4_000

export interface OpenAIEngineOptions {
  baseUrl: string
  model: string
  reason: string
  apiKey: Secret | undefined
  promptFormat: PromptFormat
  seed: number
  /** MMLU_TIMEOUT_MS: bounds the log-prob probe; the package's own timeout is a backstop behind it. */
  timeoutMs: number
  /** False when the run asked for generate scoring: no probe, no warning. */
  wantLogprobs: boolean
  warn?: (line: string) => void
}

interface Completion {
  text: string
  top: TopLogprob[] | undefined
  promptTokens: number
  completionTokens: number
}

/**
 * What an OpenAI-compatible server says about the weights behind a model id,
 * for checking that several servers serve the same: vLLM's `root` (the path or
 * repository it loaded), llama.cpp's `meta` (parameters and file size). The
 * API itself reports no digest.
 */
export function weightsOf(entry: Record<string, unknown> | undefined): string | undefined {
  if (!entry) return undefined
  const meta = entry.meta
  if (meta && typeof meta === 'object') {
    const m = meta as Record<string, unknown>
    const fields = ['n_params', 'size', 'n_vocab', 'n_embd', 'n_ctx_train'].filter((k) => typeof m[k] === 'number').map((k) => `${k} ${String(m[k])}`)
    if (fields.length) return `meta ${fields.join(', ')}`
  }
  return typeof entry.root === 'string' && entry.root ? `root ${entry.root}` : undefined
}

/**
 * The model's /models entry as canonical JSON (keys sorted, at every depth),
 * without what changes from one listing to the next (vLLM stamps `created`
 * with the time of the request): the same weights give the same text.
 */
export function identityOf(entry: Record<string, unknown> | undefined): string | undefined {
  if (!entry) return undefined
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v
  const { created: _created, ...rest } = entry
  return JSON.stringify(canonical(rest))
}

/**
 * The reply's first choice. A body without one is an error, never an empty
 * answer: servers send errors with HTTP 200 too ({"error": {...}}, vLLM's
 * {"object": "error", "message": ...}), and a proxy may answer with a page.
 */
export function firstChoice<T>(reply: unknown): T {
  const choices = (reply as { choices?: unknown } | null)?.choices
  if (Array.isArray(choices) && choices[0] !== null && typeof choices[0] === 'object') return choices[0] as T
  const body = reply as { error?: unknown; message?: unknown } | string | null
  const said =
    typeof body === 'string'
      ? JSON.stringify(body.slice(0, 80))
      : typeof body?.error === 'string'
        ? body.error
        : typeof (body?.error as { message?: unknown } | undefined)?.message === 'string'
          ? (body!.error as { message: string }).message
          : typeof body?.message === 'string'
            ? body.message
            : JSON.stringify(body)?.slice(0, 120)
  throw new EngineError(`the reply is not a completion (no choices[0]): ${said}`)
}

/** A chat reply's top log-probs, each a {token, logprob}: anything else (a null) is a malformed reply, said as such. */
export function checkedAlternatives<T extends { token: string; logprob: number }>(top: T[] | undefined): T[] | undefined {
  if (top?.some((t) => typeof t?.token !== 'string' || typeof t.logprob !== 'number')) {
    throw new EngineError(`the reply's top_logprobs hold an entry that is not {token, logprob}: ${JSON.stringify(top).slice(0, 120)}`)
  }
  return top
}

export async function openOpenAIEngine(o: OpenAIEngineOptions): Promise<Engine> {
  const key = o.apiKey?.reveal()
  const secrets = [...(key ? [key] : []), ...urlSecrets(o.baseUrl)]
  const url = redactUrl(o.baseUrl)
  const chat = o.promptFormat === 'chat'
  const endpoint = chat ? 'chat.completions' : 'completions'
  // A query in the base URL (`?key=…`, `?api-version=…`) goes with every request: the
  // package appends paths to baseURL as text, which would put them after the query.
  const base = new URL(o.baseUrl)
  const defaultQuery = base.search ? Object.fromEntries(base.searchParams) : undefined
  base.search = ''
  // Local servers need no key, but the package insists on one.
  const client = new OpenAI({ baseURL: base.toString().replace(/\/$/, ''), ...(defaultQuery ? { defaultQuery } : {}), apiKey: key ?? 'none', maxRetries: 0, timeout: o.timeoutMs + 60_000, logLevel: 'off' })

  const fail = (e: unknown, signal: AbortSignal, where: string): EngineError => {
    const status = e instanceof APIError ? e.status : undefined
    // The package starts its messages with the status, which requestFailure states already.
    return requestFailure(e, signal, where, status, scrub((e as Error).message.replace(/^\d{3} /, ''), secrets))
  }

  // How many alternatives the server gives: 20, or 5 where it refuses 20 (found by the probe below).
  let top = TOP_LOGPROBS
  async function complete(prompt: Prompt, maxTokens: number, logprobs: boolean, signal: AbortSignal, sampling?: Sampling): Promise<Completion> {
    // MMLU_TEMPERATURE above 0 (generate scoring): this ask's temperature and seed, no nucleus cut.
    const base = { model: o.model, temperature: sampling?.temperature ?? 0, seed: sampling?.seed ?? o.seed, max_tokens: maxTokens, ...(sampling ? { top_p: 1 } : {}) }
    if (chat) {
      const r = await client.chat.completions.create(
        { ...base, messages: chatMessages(prompt), ...(logprobs ? { logprobs: true, top_logprobs: top } : {}) },
        { signal },
      )
      const choice = firstChoice<(typeof r.choices)[number]>(r)
      return {
        text: choice.message?.content ?? '',
        top: checkedAlternatives(choice.logprobs?.content?.[0]?.top_logprobs ?? undefined),
        promptTokens: r.usage?.prompt_tokens ?? 0,
        completionTokens: r.usage?.completion_tokens ?? 0,
      }
    }
    const r = await client.completions.create({ ...base, prompt: promptText(prompt), ...(logprobs ? { logprobs: top } : {}) }, { signal })
    const choice = firstChoice<(typeof r.choices)[number]>(r)
    const first = choice.logprobs?.top_logprobs?.[0]
    return {
      text: choice.text ?? '',
      top: first ? Object.entries(first).map(([token, logprob]) => ({ token, logprob })) : undefined,
      promptTokens: r.usage?.prompt_tokens ?? 0,
      completionTokens: r.usage?.completion_tokens ?? 0,
    }
  }

  // Reachable, key accepted, model served: one clear error at start instead of one per question.
  const opening = AbortSignal.timeout(OPEN_TIMEOUT_MS)
  let served: string[] | undefined
  let entry: Record<string, unknown> | undefined
  try {
    const listed = (await client.models.list({ signal: opening })).data
    served = listed.map((m) => m.id)
    entry = listed.find((m) => m.id === o.model) as unknown as Record<string, unknown> | undefined
  } catch (e) {
    const status = e instanceof APIError ? e.status : undefined
    if (status === 401 || status === 403) {
      throw new EngineError(`The OpenAI-compatible server at ${url} refused the API key (HTTP ${status}). Fix: set MMLU_API_KEY or OPENAI_API_KEY to a key it accepts.`)
    }
    // Some servers have no /models; the first completion will tell.
    if (status !== 404) {
      const why = opening.aborted ? `no answer within ${OPEN_TIMEOUT_MS / 1000} s` : status !== undefined ? `HTTP ${status}: ${scrub((e as Error).message, secrets)}` : (connectionFailure(e) ?? scrub((e as Error).message, secrets))
      throw new EngineError(`The OpenAI-compatible server at ${url} is not reachable (${why}). Fix: start it, or set MMLU_OPENAI_BASE_URL to where it runs (e.g. http://127.0.0.1:8000/v1).`)
    }
  }
  if (served && served.length > 0 && !served.includes(o.model)) {
    throw new EngineError(`The OpenAI-compatible server at ${url} does not serve MMLU_MODEL=${o.model}; it serves ${served.join(', ')}. Fix: set MMLU_MODEL to one of them.`)
  }

  let logprobs = false
  if (o.wantLogprobs) {
    // A question's deadline: the first request may load the model (Ollama's /v1 does).
    const probe = AbortSignal.timeout(o.timeoutMs)
    // A 4xx says "not that many log-probs here" (OpenAI's completions take 5), or none at all.
    for (const n of [TOP_LOGPROBS, TOP_LOGPROBS_FALLBACK]) {
      top = n
      try {
        logprobs = Array.isArray((await complete({ prefix: '', suffix: 'Answer:', shots: 0 }, 1, true, probe)).top)
        break
      } catch (e) {
        const err = fail(e, probe, `${url} ${endpoint}`)
        // 404: no such model here (vLLM, OpenAI: "The model … does not exist"), not "no log-probs"; every question would fail alike.
        if (e instanceof APIError && e.status === 404) {
          throw new EngineError(
            `The OpenAI-compatible server at ${url} does not serve MMLU_MODEL=${o.model} (${err.message}). ` +
              `Fix: set MMLU_MODEL to a model id it serves (GET ${url}/models lists them), or start the server with this model (e.g. \`vllm serve <model> --served-model-name ${o.model}\`, \`llama-server -m <file.gguf> --alias ${o.model}\`).`,
          )
        }
        // Anything but a 4xx is a broken server.
        if (!(e instanceof APIError && e.status !== undefined && e.status >= 400 && e.status < 500)) {
          throw new EngineError(`The OpenAI-compatible server at ${url} failed a one-token test request (${probe.aborted ? `no answer within ${o.timeoutMs} ms, MMLU_TIMEOUT_MS` : err.message}).`)
        }
      }
    }
    if (!logprobs) {
      ;(o.warn ?? ((line) => process.stderr.write(`${line}\n`)))(`MMLU warning: the server at ${url} returns no log-probs on ${endpoint}: scoring by generate.`)
    }
  }

  const info: EngineInfo = {
    engine: 'openai',
    model: o.model,
    source: url,
    server: url,
    ...(identityOf(entry) ? { identity: identityOf(entry)! } : {}),
    reason: o.reason,
    details: { endpoint, logprobs: logprobs ? (top === TOP_LOGPROBS ? 'yes' : `yes (top ${top})`) : 'no', prompt: o.promptFormat, seed: o.seed, ...(weightsOf(entry) ? { weights: weightsOf(entry)! } : {}) },
    ...(entry?.owned_by === SIMULATED_OWNER ? { simulated: true as const } : {}),
  }
  return {
    info,
    scoringModes: logprobs ? ['logprob', 'generate'] : ['generate'],
    async openSession(request: SessionRequest): Promise<Session> {
      const logprob = request.scoring === 'logprob'
      const where = `${url} ${endpoint}`
      return {
        details: { endpoint },
        async answer(prompt: Prompt, signal: AbortSignal): Promise<RawAnswer> {
          const startedAt = Date.now()
          const t0 = performance.now()
          let c: Completion
          try {
            c = await complete(prompt, logprob ? 1 : request.maxTokens, logprob, signal, prompt.sampling)
          } catch (e) {
            throw fail(e, signal, where)
          }
          const latencyMs = performance.now() - t0
          if (logprob && !c.top) throw new EngineError(`${where}: the reply has no top log-probs although they were asked for. Fix: MMLU_SCORING=generate.`)
          return {
            probabilities: logprob ? lettersFromTopLogprobs(c.top ?? [], letterFormOf(chat)) : undefined,
            ...(logprob ? { letterForm: letterFormOf(chat) } : {}),
            text: c.text,
            promptTokens: c.promptTokens,
            evaluatedTokens: c.promptTokens,
            completionTokens: c.completionTokens,
            startedAt,
            latencyMs,
          }
        },
        async close() {},
      }
    },
  }
}
