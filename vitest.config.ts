import { defineConfig } from 'vitest/config'
import type { Options } from './src/options.js'
import { inFlightCap, readOptions } from './src/options.js'
import { exitOnUserError } from './src/user-error.js'

// Options are read here too (not only in the workers) because in-file
// concurrency sets Vitest's own cap on concurrent tests per file. A bad value
// is one message and exit 1, before Vitest starts (no "Startup Error" trace).
let options: Options
try {
  options = readOptions()
} catch (e) {
  exitOnUserError(e)
}

export default defineConfig({
  test: {
    reporters: ['./reporters/mmlu-reporter.ts'],
    // `--reporter=html` (@vitest/ui) writes here, beside the summary page reports/index.html.
    outputFile: { html: 'reports/html/index.html' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'mmlu',
          // The 57 MMLU subjects, and the example of a question set of your own.
          include: ['evals/**/*.eval.ts', 'examples/**/*.eval.ts'],
          // Fetches the MMLU data on a first run without MMLU_DATA_DIR.
          globalSetup: ['src/global-setup.ts'],
          // One model load per worker, shared by the subject files it runs.
          isolate: false,
          // The most questions in flight per file: MMLU_CONCURRENCY per server, or the
          // top level auto may try, times the servers (describe.concurrent is switched
          // on by the suite above 1). The dispatcher holds each server to its own level.
          maxConcurrency: inFlightCap(options),
          // A retried test would send its question again; retries belong to the backends.
          retry: 0,
        },
      },
    ],
  },
})
