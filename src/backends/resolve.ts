// Model reference → engine and weights, with the reason for the choice.
// Today a reference is a path to a .gguf file for the embedded engine; server
// backends and model names (Ollama tags, its local store) extend this module.
import { existsSync } from 'node:fs'
import { resolve as resolvePath } from 'node:path'
import type { Options } from '../options.js'
import { EngineError } from './backend.js'

export interface Resolution {
  backend: 'llamacpp'
  modelPath: string
  digest?: string
  reason: string
}

export function resolveModel(options: Pick<Options, 'model'>): Resolution {
  const ref = options.model
  const path = resolvePath(ref)
  if (ref.toLowerCase().endsWith('.gguf')) {
    if (!existsSync(path)) {
      throw new EngineError(`MMLU_MODEL=${ref}: no such file (${path}). Fix: point MMLU_MODEL at an existing .gguf file.`)
    }
    return { backend: 'llamacpp', modelPath: path, reason: 'MMLU_MODEL is a path to a .gguf file' }
  }
  throw new EngineError(
    `No model found for MMLU_MODEL=${ref}. Ways to get one:\n` +
      `  - set MMLU_MODEL to the path of a GGUF model file, e.g. MMLU_MODEL=./models/Llama-3.2-1B-Instruct-Q8_0.gguf;\n` +
      `  - any llama.cpp-compatible GGUF works (the Ollama store keeps them under ~/.ollama/models/blobs).`,
  )
}
