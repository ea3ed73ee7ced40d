// Validates a GGUF file before llama.cpp sees it. Some malformed files make
// llama.cpp hit an assertion that aborts the whole Node process (no try/catch
// helps), which would take the Vitest worker down with a useless message.
// Reading the header in JavaScript first turns those into clear errors.
import { stat } from 'node:fs/promises'
import type { readGgufFileInfo } from 'node-llama-cpp'
import { EngineError } from './backend.js'

// Keys llama.cpp requires for these architectures; a missing one aborts the process.
const REQUIRED_ARCH_KEYS = ['context_length', 'embedding_length', 'block_count', 'feed_forward_length', 'attention.head_count']

// Bytes per block and values per block of common ggml types, for the truncation check.
const BLOCK: Record<number, [bytes: number, values: number]> = {
  0: [4, 1], // F32
  1: [2, 1], // F16
  2: [18, 32], // Q4_0
  3: [20, 32], // Q4_1
  6: [22, 32], // Q5_0
  7: [24, 32], // Q5_1
  8: [34, 32], // Q8_0
  10: [84, 256], // Q2_K
  11: [110, 256], // Q3_K
  12: [144, 256], // Q4_K
  13: [176, 256], // Q5_K
  14: [210, 256], // Q6_K
  30: [2, 1], // BF16
}

export interface GgufSummary {
  architecture: string
  name: string | undefined
  trainedContext: number | undefined
  tensorCount: number
  fileBytes: number
}

function fail(path: string, what: string, fix: string): never {
  throw new EngineError(`${path}: ${what}. ${fix}`)
}

export async function checkGguf(path: string): Promise<GgufSummary> {
  let fileBytes: number
  try {
    fileBytes = (await stat(path)).size
  } catch {
    return fail(path, 'model file not found', 'Fix: set MMLU_MODEL to the path of an existing .gguf file.')
  }
  let info: Awaited<ReturnType<typeof readGgufFileInfo>>
  try {
    // Loaded here, not at the top: node-llama-cpp costs ~0.6 s to import, and runs that never read a GGUF should not pay it.
    const { readGgufFileInfo } = await import('node-llama-cpp')
    info = await readGgufFileInfo(path, { logWarnings: false, sourceType: 'filesystem', ignoreKeys: ['tokenizer.ggml.merges'] })
  } catch (e) {
    return fail(path, `not a readable GGUF file (${(e as Error).message})`, 'Fix: the file is corrupt or not a GGUF model; download it again or point MMLU_MODEL at another file.')
  }
  const metadata = info.metadata as unknown as Record<string, Record<string, unknown> | undefined>
  const architecture = String(metadata.general?.architecture ?? '')
  if (!architecture) fail(path, 'GGUF header has no general.architecture', 'Fix: the file is not a complete model; re-export or download it again.')
  const arch = metadata[architecture] as Record<string, unknown> | undefined
  for (const key of REQUIRED_ARCH_KEYS) {
    const value = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], arch)
    if (value === undefined) fail(path, `GGUF header lacks ${architecture}.${key}, which llama.cpp requires`, 'Fix: the model was written incompletely; re-export or download it again.')
  }
  const tensors = info.fullTensorInfo ?? info.tensorInfo ?? []
  if (tensors.length === 0) fail(path, 'GGUF file has no tensors', 'Fix: the file holds metadata only; download the full model.')
  for (const t of tensors) {
    const block = BLOCK[t.ggmlType as number]
    const start = Number(t.fileOffset)
    const values = t.dimensions.reduce<number>((n, d) => n * Number(d), 1)
    const end = block ? start + (values / block[1]) * block[0] : start + 1
    if (end > fileBytes) {
      fail(path, `file is truncated: tensor ${t.name} ends at byte ${end} but the file has ${fileBytes} bytes`, 'Fix: the download was cut; download the model again.')
    }
  }
  const general = metadata.general as Record<string, unknown>
  return {
    architecture,
    name: typeof general.name === 'string' ? general.name : undefined,
    trainedContext: typeof arch?.context_length === 'number' ? arch.context_length : undefined,
    tensorCount: tensors.length,
    fileBytes,
  }
}
