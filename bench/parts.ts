// One benchmark part in a process of its own, so peak memory, thread settings
// and a crash stay with that part. Called by bench/run.ts:
//   tsx bench/parts.ts <part> '<json args>' <out.json>
import { writeFile } from 'node:fs/promises'
import { fixtureModelPath, fixtureModelSpec } from '../fixtures/models.js'
import { ensureTwin, TWIN_PATH } from '../fixtures/gguf/twin.js'
import type { EngineSetup, SetupFigures } from './engine.js'
import { B2_SETUPS, CONCURRENCY_QUESTIONS, CONCURRENCY_SETUPS, ENGINE_QUESTIONS, ENGINE_SUBJECT, kvBytesPerToken, measureMemory, MEMORY_QUESTIONS, openBenchEngine, runSetup, subjectPrompts } from './engine.js'
import { measureGrowth } from './growth.js'
import { measureScale } from './scale.js'
import { measureStartup } from './startup.js'
import { measureHarness } from './harness.js'
import { measureTwin, TWIN_QUESTIONS } from './twin-speed.js'

export interface PartArgs {
  dataDir: string
  threads?: number
  setups?: string[]
  sequences?: number
  shots?: number
  sizes?: number[]
}

/** Each setup in turn on one engine (one model load), the same prompts for all. */
async function runSetups(a: PartArgs, setups: readonly EngineSetup[], questions: number): Promise<Omit<SetupFigures, 'latenciesMs'>[]> {
  const engine = await openBenchEngine(await fixtureModelPath('random-small'), a.threads!)
  const prompts = await subjectPrompts(a.dataDir, ENGINE_SUBJECT, questions)
  const out = []
  for (const setup of setups) {
    const { latenciesMs, ...figures } = await runSetup(engine, prompts, setup)
    out.push(figures)
  }
  return out
}

const PARTS: Record<string, (a: PartArgs) => Promise<unknown>> = {
  harness: (a) => measureHarness(a.dataDir),
  engine: (a) => runSetups(a, B2_SETUPS.filter((s) => !a.setups || a.setups.includes(s.name)), ENGINE_QUESTIONS),
  concurrency: (a) => runSetups(a, CONCURRENCY_SETUPS, CONCURRENCY_QUESTIONS),
  async memory(a) {
    const prompts = await subjectPrompts(a.dataDir, ENGINE_SUBJECT, MEMORY_QUESTIONS)
    return measureMemory(await fixtureModelPath('random-small'), prompts, a.sequences!, a.threads!, kvBytesPerToken(fixtureModelSpec('random-small')))
  },
  twinFile: () => ensureTwin(),
  async twin(a) {
    return measureTwin(TWIN_PATH, a.dataDir, a.shots!, TWIN_QUESTIONS, a.threads!)
  },
  scale: (a) => measureScale(a.dataDir, a.sizes ?? undefined, a.sizes !== undefined),
  startup: (a) => measureStartup(a.dataDir),
  growth: async (a) => measureGrowth(a.dataDir, await fixtureModelPath('random-small'), a.threads!),
}

const [part, args, out] = process.argv.slice(2)
const run = part ? PARTS[part] : undefined
if (!run || !args || !out) {
  console.error(`usage: tsx bench/parts.ts <${Object.keys(PARTS).join('|')}> '<json args>' <out.json>`)
  process.exit(2)
}
await writeFile(out, JSON.stringify(await run(JSON.parse(args) as PartArgs), null, 1))
