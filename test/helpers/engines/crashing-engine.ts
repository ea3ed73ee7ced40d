// A test engine that answers like the instant engine, then kills its worker
// process (a native abort, as llama.cpp's asserts or the OOM killer do) once it
// has answered CRASH_AFTER questions in this process.
import type { Engine } from '../../../src/backends/backend.js'
import { openInstantEngine } from '../../../bench/instant-engine.js'

const after = Number(process.env.CRASH_AFTER ?? '10')
let answered = 0

export default async function open(): Promise<Engine> {
  const engine = openInstantEngine()
  return {
    ...engine,
    async openSession(request) {
      const session = await engine.openSession(request)
      return {
        ...session,
        async answer(prompt, signal) {
          if (answered++ >= after) {
            // Let Vitest send the results it holds (it batches them), then die mid-subject.
            await new Promise((r) => setTimeout(r, 1000))
            process.kill(process.pid, 'SIGKILL')
          }
          return session.answer(prompt, signal)
        },
      }
    },
  }
}
