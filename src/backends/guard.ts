// Shared protection around any backend call: a deadline that aborts the call
// and rejects, so a hung engine or server never hangs the run.
import { EngineError } from './backend.js'

export class TimeoutError extends EngineError {
  override name = 'TimeoutError'
}

export async function withTimeout<T>(call: (signal: AbortSignal) => Promise<T>, ms: number, what: string): Promise<T> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new TimeoutError(`${what} timed out after ${ms} ms (MMLU_TIMEOUT_MS)`)
      controller.abort(err)
      reject(err)
    }, ms)
  })
  try {
    return await Promise.race([call(controller.signal), deadline])
  } finally {
    clearTimeout(timer)
  }
}
