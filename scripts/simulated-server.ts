// `npm run server:simulated`: the project's loopback test double
// (fixtures/servers/model-server.ts) as a SIMULATED Ollama server you can
// point runs at. It runs no model: it waits `--latency-ms` per request, serves
// `--slots` requests at a time and queues the rest (Ollama's default is one,
// OLLAMA_NUM_PARALLEL=1), and answers B to every question. What it is good
// for: seeing the seed experiment's queueing on a laptop without Ollama.
// Accuracy against it means nothing.
import { parseArgs } from 'node:util'
import { startModelServer } from '../fixtures/servers/model-server.js'

export const SIMULATED_USAGE = `npm run server:simulated -- [--port 11435] [--latency-ms 200] [--slots 1] [--for-s 3600]
npm run server:simulated -- --wait [--port 11435]

A SIMULATED Ollama server on 127.0.0.1 (a test double, no model): --latency-ms per
request, --slots requests at a time (the rest queue), the answer B to every question.
Point a run at it with OLLAMA_HOST=127.0.0.1:<port>. Ctrl-C stops it, and it stops by
itself after --for-s seconds.
--wait starts nothing: it returns once a server answers on the port (30 s at most),
so a script can start one in the background and go on when it is up.`

function whole(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} ${raw}: expected a whole number from ${min} to ${max}`)
  return n
}

/** Polls the port's /api/version until something answers, for 30 s at most. */
async function waitForServer(port: number): Promise<number> {
  const url = `http://127.0.0.1:${port}/api/version`
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const up = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false,
    )
    if (up) {
      console.log(`a server answers on 127.0.0.1:${port}`)
      return 0
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  console.error(`npm run server:simulated -- --wait: nothing answered on 127.0.0.1:${port} within 30 s`)
  return 1
}

async function main(): Promise<number> {
  let values
  try {
    ;({ values } = parseArgs({ options: { port: { type: 'string' }, 'latency-ms': { type: 'string' }, slots: { type: 'string' }, 'for-s': { type: 'string' }, wait: { type: 'boolean' }, help: { type: 'boolean' } } }))
  } catch (e) {
    console.error(`npm run server:simulated: ${(e as Error).message}\n\n${SIMULATED_USAGE}`)
    return 1
  }
  if (values.help) {
    console.log(SIMULATED_USAGE)
    return 0
  }
  let port: number, latencyMs: number, slots: number, lifetimeS: number
  try {
    port = whole('port', values.port, 11435, 0, 65535)
    latencyMs = whole('latency-ms', values['latency-ms'], 200, 0, 600_000)
    slots = whole('slots', values.slots, 1, 1, 1024)
    lifetimeS = whole('for-s', values['for-s'], 3600, 1, 7 * 24 * 3600)
  } catch (e) {
    console.error(`npm run server:simulated: ${(e as Error).message}\n\n${SIMULATED_USAGE}`)
    return 1
  }
  if (values.wait) return waitForServer(port)
  const server = await startModelServer({ latencyMs, slots, lifetimeMs: lifetimeS * 1000 }, { port }).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'EADDRINUSE' ? new Error(`npm run server:simulated: port ${port} on 127.0.0.1 is in use; pick another with --port N`) : e
  })
  console.log(
    `SIMULATED Ollama server (a test double, no model) on ${server.url}: ${latencyMs} ms per request, ` +
      `${slots} at a time${slots === 1 ? ' (the rest queue, as with Ollama\'s default OLLAMA_NUM_PARALLEL=1)' : ''}, answers B.\n` +
      `Point runs at it: OLLAMA_HOST=127.0.0.1:${server.port}. Ctrl-C stops it; it stops by itself in ${lifetimeS} s.`,
  )
  // Exits at once on the first signal (a job's whole process group may get it several times over).
  const stop = () => {
    const inference = server.inference().length
    console.log(`\nSIMULATED server stopped after ${inference} inference request${inference === 1 ? '' : 's'}.`)
    process.exit(0)
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop)
  return new Promise<number>(() => undefined)
}

main().then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    console.error(e.message)
    process.exitCode = 1
  },
)
