// One loopback model server per test file, with an empty Ollama store beside it
// (so no run falls back to a real store on this machine), and the server's
// settings put back before each test.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import type { ModelServer, ModelServerConfig } from '../../fixtures/servers/model-server.js'
import { startModelServer } from '../../fixtures/servers/model-server.js'

export interface Loopback {
  server: ModelServer
  emptyStore: string
}

/** Registers the file's hooks; the fields are set once `beforeAll` has run. */
export function useLoopbackServer(start: Partial<ModelServerConfig>, eachTest: Partial<ModelServerConfig>): Loopback {
  const loop = {} as Loopback
  beforeAll(async () => {
    loop.server = await startModelServer(start)
    loop.emptyStore = await mkdtemp(path.join(os.tmpdir(), 'mmlu-empty-store-'))
  })
  afterAll(async () => {
    await loop.server.close()
    await rm(loop.emptyStore, { recursive: true, force: true })
  })
  beforeEach(() => {
    loop.server.reset()
    Object.assign(loop.server.config, eachTest)
  })
  return loop
}
