// The part of the mmlu project's setup that needs its options: every MMLU_*
// setting checked before the first question, and Vitest's cap on concurrent
// tests per file. It runs in Vitest's configureVitest hook, not in
// vitest.config.ts itself: Vite bundles the config and every file it imports
// on each start (0.1–0.25 s for the options' 11 modules, measured), while
// this loads them through Vitest's module runner and its on-disk cache, only
// for runs of the mmlu project, and the reporter then finds them loaded.
// So this file imports nothing of ours at load time (test/startup-imports.test.ts).
import { fileURLToPath } from 'node:url'
import type { Vite } from 'vitest/node'
import type * as OptionsModule from './options.js'
import type * as UserErrorModule from '../base/user-error.js'

/** For the mmlu project's own `plugins`: the hook runs for that project only. */
export function mmluOptionsPlugin(): Vite.Plugin {
  return {
    name: 'vitest-mmlu:options',
    async configureVitest({ vitest, project }) {
      const [{ inFlightCap, readOptions }, { exitOnUserError }] = await Promise.all([
        vitest.import<typeof OptionsModule>(fileURLToPath(new URL('./options.ts', import.meta.url))),
        vitest.import<typeof UserErrorModule>(fileURLToPath(new URL('../base/user-error.ts', import.meta.url))),
      ])
      try {
        // The most questions in flight per file: MMLU_CONCURRENCY per server, or the top level
        // auto may try, times the servers (describe.concurrent is switched on by the suite
        // above 1). The dispatcher holds each server to its own level. Workers read it from
        // the project's config when they start, after this hook.
        project.config.maxConcurrency = inFlightCap(readOptions())
      } catch (e) {
        // A bad value: one message and exit 1, before Vitest starts (no "Startup Error" trace).
        exitOnUserError(e)
      }
    },
  }
}
