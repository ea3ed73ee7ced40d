// Counting an Ollama prompt's tokens, to fit the few-shot examples to the
// model's context and to size num_ctx. Ollama has no tokenize endpoint, so:
// - exact, where the tokenizer can be had: the model's GGUF in a local Ollama
//   store (OLLAMA_MODELS or the default places), when its digest is the one
//   the server reports. node-llama-cpp loads it vocabulary-only (no weights),
//   and counts as Ollama's runner tokenizes a raw prompt: BOS, then the text;
// - otherwise an upper bound that needs no tokenizer: the UTF-8 bytes, plus
//   BOS and SentencePiece's dummy-prefix space. Every token of a byte-level
//   BPE (Llama 3, Qwen, GPT-2 style) or byte-fallback SentencePiece (Llama 2,
//   Mistral, Gemma) vocabulary covers at least one byte, so a prompt that fits
//   by this count certainly fits; it drops shots only where that is unsure.
// A chat prompt also carries the model's template around the message: the
// template's literal text counted the same way bounds what it adds.
import type { Llama, LlamaModel } from 'node-llama-cpp'
import { checkGguf } from './gguf-check.js'
import { findInOllamaStore, parseModelReference } from './ollama-store.js'

export interface PromptCounter {
  count(text: string): number
  exact: boolean
  /** How the count is made, for the run header: `exact: …` or `upper bound: …, because …`. */
  how: string
}

/** Tokens a text can take at most in a byte-level or byte-fallback vocabulary: one a byte, plus BOS and a dummy-prefix space. */
export function tokenUpperBound(text: string): number {
  return Buffer.byteLength(text, 'utf8') + 2
}

function upperBound(why: string, overhead: string): PromptCounter {
  const extra = overhead ? tokenUpperBound(overhead) : 0
  return { count: (text) => tokenUpperBound(text) + extra, exact: false, how: `upper bound (UTF-8 bytes), because ${why}` }
}

// One vocabulary load per blob and worker process; files of a worker share it.
const loaded: Map<string, Promise<{ llama: Llama; model: LlamaModel }>> = ((globalThis as Record<string, unknown>).__mmluVocabularies ??= new Map()) as Map<
  string,
  Promise<{ llama: Llama; model: LlamaModel }>
>

async function loadVocabulary(blob: string): Promise<LlamaModel> {
  let pending = loaded.get(blob)
  if (!pending) {
    pending = (async () => {
      // A malformed file can abort the process inside llama.cpp: check it first.
      await checkGguf(blob)
      const { getLlama, LlamaLogLevel } = await import('node-llama-cpp')
      const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false })
      return { llama, model: await llama.loadModel({ modelPath: blob, vocabOnly: true }) }
    })()
    loaded.set(blob, pending)
    pending.catch(() => loaded.delete(blob))
  }
  return (await pending).model
}

export interface CounterRequest {
  /** The model name the server serves, e.g. `llama3.2:1b`. */
  model: string
  /** `sha256:<hex>` of the weights blob, as the server reports it (/api/show's Modelfile). */
  digest: string | undefined
  /** Ollama stores to look in (ollamaStores(OLLAMA_MODELS)). */
  stores: readonly string[]
  /** Text the server adds around a chat message (the template and system prompt); '' for a raw prompt. */
  overhead: string
}

export async function ollamaPromptCounter(r: CounterRequest): Promise<PromptCounter> {
  if (!r.digest) return upperBound('the server reports no weights digest to match a local tokenizer against', r.overhead)
  const ref = parseModelReference(r.model)
  const stored = ref ? await findInOllamaStore(ref, r.stores).catch(() => undefined) : undefined
  if (!stored) return upperBound(`${r.model} is not in a local Ollama store (looked in ${r.stores.join(', ')}; OLLAMA_MODELS sets where)`, r.overhead)
  if (stored.digest !== r.digest) return upperBound(`the local store's ${r.model} (${stored.digest.slice(0, 19)}) is not the server's (${r.digest.slice(0, 19)})`, r.overhead)
  let model: LlamaModel
  try {
    model = await loadVocabulary(stored.blob)
  } catch (e) {
    return upperBound(`the tokenizer in ${stored.blob} could not be read (${(e as Error).message.split('\n')[0]})`, r.overhead)
  }
  const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? 1 : 0
  // Special tokens in the template (`<|start_header_id|>`) are read as text here: more tokens than Ollama's, never fewer.
  const extra = r.overhead ? model.tokenize(r.overhead).length : 0
  const how = r.overhead ? `exact for the prompt, the chat template bounded by its text (the tokenizer of ${stored.blob})` : `exact (the tokenizer of ${stored.blob})`
  return { count: (text) => bos + model.tokenize(text).length + extra, exact: !r.overhead, how }
}
