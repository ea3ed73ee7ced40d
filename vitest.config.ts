import { defineConfig } from 'vitest/config'
import { readOptions } from './src/options.js'

// Options are read here too (not only in the workers) because in-file
// concurrency must lift Vitest's own cap on concurrent tests per file.
const options = readOptions()

export default defineConfig({
  test: {
    reporters: ['./reporters/mmlu-reporter.ts'],
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
          include: ['evals/**/*.eval.ts'],
          // One model load per worker, shared by the subject files it runs.
          isolate: false,
          maxConcurrency: Math.max(5, options.concurrency),
        },
      },
    ],
  },
})
