// Global setup of the mmlu project: runs once in the main process before any
// worker, so a fresh machine needs nothing but `npm ci && npm run eval`:
// - no MMLU_DATA_DIR and nothing cached: download and verify the MMLU data;
// - a model that no server or store has: at a terminal, offer to download it
//   (size first); without one, the run stops later with what to run instead.
// Both load their modules (the CSV reader, the server clients) only when needed:
// this runs before every run's first question.
import './base/source-maps.js'
import { createInterface } from 'node:readline/promises'
import { EngineError } from './backends/backend.js'
import { locateDataDir } from './dataset/data-dir.js'
import type { Options } from './config/options.js'
import { readOptions } from './config/options.js'
import { exitOnUserError } from './base/user-error.js'
import type { TestProject } from 'vitest/node'

async function ensureData(options: Options): Promise<void> {
  if (locateDataDir(options.dataDir)) return
  const { progressPrinter, pullDataset } = await import('./dataset/download.js')
  process.stderr.write(`MMLU data not found (MMLU_DATA_DIR unset, cache empty): downloading it once from ${options.dataUrl}\n`)
  await pullDataset({ url: options.dataUrl, onProgress: progressPrinter() })
}

async function offerModel(options: Options): Promise<void> {
  const interactive = process.stdin.isTTY && process.stderr.isTTY
  if (!interactive || (options.backend !== 'auto' && options.backend !== 'llamacpp')) return
  const [{ formatBytes, isDownloadable, preparePull }, { resolveModel }] = await Promise.all([import('./backends/model-pull.js'), import('./backends/resolve.js')])
  if (!isDownloadable(options.model)) return
  try {
    await resolveModel(options)
    return
  } catch (e) {
    if (!(e instanceof EngineError)) throw e
  }
  let pending
  try {
    pending = await preparePull(options.model, { registry: options.ollamaRegistry, progress: true })
  } catch {
    return // offline or unknown name: the run itself reports the ways to get a model
  }
  const ask = createInterface({ input: process.stdin, output: process.stderr })
  const answer = await ask.question(
    `${options.model} is not available locally (no Ollama server has it, no local copy).\n` +
      `Download it for the embedded engine now: ${formatBytes(pending.bytes)} from ${pending.url} into ${pending.target}? [y/N] `,
  )
  ask.close()
  if (/^y(es)?$/i.test(answer.trim())) await pending.download()
}

export default async function setup(project?: TestProject): Promise<void> {
  const options = readOptions()
  // The reporter says, before this runs, whether any MMLU subject is in the run:
  // a run of your own question sets alone needs no MMLU data.
  // Offline without data: the three ways out, once, exit 1; a throw here is a Startup Error with a stack.
  if (project?.getProvidedContext().mmluSubjectsInRun !== false) await ensureData(options).catch((e: unknown) => exitOnUserError(e))
  await offerModel(options)
}
