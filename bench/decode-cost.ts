// What one decode costs apart from its tokens: milliseconds per one-token
// decode on every physical core and on one, and what asking for the full
// next-token probability map adds (log-prob scoring asks for it once per
// question). The threads and probabilities figures in docs/performance.md come from here.
//   npx tsx bench/decode-cost.ts [model.gguf]     (default: random-small)
import { getLlama } from 'node-llama-cpp'
import { fixtureModelPath } from '../fixtures/models.js'
import { physicalCores } from '../src/backends/cpu.js'

const DECODES = 100
const modelPath = process.argv[2] ?? (await fixtureModelPath('random-small'))
const cores = physicalCores()

console.log(`${modelPath} · ms per one-token decode, mean of ${DECODES}`)
console.log('threads  token only  + probability map')
for (const threads of cores > 1 ? [cores, 1] : [1]) {
  const llama = await getLlama({ gpu: false, maxThreads: threads })
  const model = await llama.loadModel({ modelPath })
  const context = await model.createContext({ contextSize: 256, sequences: 1, threads })
  const seq = context.getSequence()
  const tokens = model.tokenize('The following are multiple choice questions (with answers) about astronomy.')
  await seq.controlledEvaluate(tokens)
  const last = tokens.at(-1)!
  const mean = async (probabilities: boolean): Promise<number> => {
    const t0 = performance.now()
    for (let i = 0; i < DECODES; i++) {
      // Drop the last token and decode it again: the same position every time.
      await seq.eraseContextTokenRanges([{ start: seq.nextTokenIndex - 1, end: seq.nextTokenIndex }])
      await seq.controlledEvaluate([[last, { generateNext: { token: true, probabilities, options: { temperature: 0 } } }]])
    }
    return (performance.now() - t0) / DECODES
  }
  await mean(false) // warm-up
  const [token, withMap] = [await mean(false), await mean(true)]
  console.log(`${String(threads).padStart(7)}  ${token.toFixed(2).padStart(10)}  ${withMap.toFixed(2).padStart(17)}`)
  await context.dispose()
  await model.dispose()
}
