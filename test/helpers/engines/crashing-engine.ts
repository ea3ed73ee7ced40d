// A test engine that answers like the instant engine, then kills its worker
// process (a native abort, as llama.cpp's asserts or the OOM killer do) once it
// has answered CRASH_AFTER questions in this process. It dies when the file
// CRASH_NOW_FILE exists: the test writes it once the run has reported those
// answers (Vitest batches results, and under load a fixed wait lost some).
import { existsSync } from 'node:fs'
import type { Engine } from '../../../src/backends/backend.js'
import { openInstantEngine } from '../../../bench/instant-engine.js'

const after = Number(process.env.CRASH_AFTER ?? '10')
const now = process.env.CRASH_NOW_FILE
let answered = 0

export default async function open(): Promise<Engine> {
  if (!now) throw new Error('CRASH_NOW_FILE: the file whose existence kills the worker')
  const engine = openInstantEngine()
  return {
    ...engine,
    async openSession(request) {
      const session = await engine.openSession(request)
      return {
        ...session,
        async answer(prompt, signal) {
          if (answered++ >= after) {
            while (!existsSync(now)) await new Promise((r) => setTimeout(r, 20))
            process.kill(process.pid, 'SIGKILL')
          }
          return session.answer(prompt, signal)
        },
      }
    },
  }
}
