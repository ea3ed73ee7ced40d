// npm run model:pull — fetches MMLU_MODEL (default llama3.2:1b) as a GGUF into
// the cache for the embedded engine, so a machine without Ollama can run evals.
import { formatBytes, pullModel } from '../src/backends/model-pull.js'
import { readOptions } from '../src/config/options.js'

const options = readOptions()
try {
  const pulled = await pullModel(options.model, {
    registry: options.ollamaRegistry,
    progress: process.stderr.isTTY,
    onStart: ({ ref, url, bytes, target }) => console.error(`Downloading ${ref}: ${formatBytes(bytes)} from ${url}\n  into ${target}`),
  })
  console.log(`${pulled.ref}: ${pulled.path} (${formatBytes(pulled.bytes)}, ${pulled.digest})`)
  console.log(`Run an eval on it: MMLU_MODEL=${pulled.ref} npm run eval`)
} catch (e) {
  console.error((e as Error).message)
  process.exitCode = 1
}
