// A test engine that answers like the instant engine, then kills its worker
// process (a native abort, as llama.cpp's asserts or the OOM killer do) once the
// file CRASH_NOW_FILE exists: the test writes it when the run has reported
// CRASH_AFTER answers. Past CRASH_AFTER it slows down (each answer waits up to
// 200 ms for the file) but never stops: Vitest sends a worker's results on its
// next test event, so an engine that blocked would hold back the very results the
// test waits for (seen: the run reported 144 of 250 and both sides waited).
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
            for (let waited = 0; waited < 200 && !existsSync(now); waited += 20) await new Promise((r) => setTimeout(r, 20))
            if (existsSync(now)) process.kill(process.pid, 'SIGKILL')
          }
          return session.answer(prompt, signal)
        },
      }
    },
  }
}
