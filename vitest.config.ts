import { availableParallelism } from 'node:os'
import { configDefaults, defineConfig } from 'vitest/config'
import { mmluOptionsPlugin } from './src/config/vitest-plugin.js'

// The project's own tests read no .env/.env.local (a developer's settings are not theirs);
// a run they spawn gets the same from cleanEnv (test/helpers/run-vitest.ts).
const TEST_ENV = { MMLU_ENV_FILES: 'off' }

// Tests built on the loopback server's sleeps and timing: throughput and latency
// ratios (queueing, speedup, two servers against one), restarts and deaths that
// must be survived within seconds, the start-up checks' wall time. Minutes of waiting by design, and thrown off
// by a busy machine: they run on their own in `npm run test:timing`.
// servers-eject waits out a give-up rule's cool-downs (1 + 2 + 4 + 8 s) in a spawned run.
const TIMING_TESTS = ['test/servers-timing.test.ts', 'test/study-e2e.test.ts', 'test/servers-several.test.ts', 'test/servers-faults.test.ts', 'test/servers-eject.test.ts']
// Every shell block of the README and docs/, run as written: some 45 spawned runs,
// 1.5 minutes of two busy cores, so `npm test` stays within its 5 minutes without it.
const DOCS_TESTS = ['test/docs.test.ts']

export default defineConfig({
  test: {
    reporters: ['./reporters/mmlu-reporter.ts'],
    // Transformed modules cached on disk between runs (node_modules/.experimental-vitest-cache):
    // half a second off every run's start. src/base/source-maps.ts keeps the main process's
    // error stacks readable with it on.
    experimental: { fsModuleCache: true },
    // `--reporter=html` (@vitest/ui) writes here, beside the summary page reports/index.html.
    outputFile: { html: 'reports/html/index.html' },
    // The hot-path benches have a config of their own (bench/hot/vitest.config.ts, run by
    // `npm run bench -- --only=B6`): here `vitest bench` would run them in every project.
    benchmark: { include: [] },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/helpers/tmp-setup.ts'],
          env: TEST_ENV,
          exclude: [...configDefaults.exclude, ...TIMING_TESTS, ...DOCS_TESTS],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Most of these tests wait on a spawned `vitest run` or a loopback server: three
          // files at a time keep both cores of a small machine busy through those waits
          // (Vitest's default is CPUs − 1, one here). Measured on 2 cores: 216 s with two, 187 s with three.
          maxWorkers: Math.max(3, availableParallelism() - 1),
          // Projects with different maxWorkers must run in different groups, e.g. when a
          // filter such as `npx vitest run evals` also matches test/evals-layout.test.ts.
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          // `npm run test:docs`, the second command of .ci/run.
          name: 'docs',
          include: DOCS_TESTS,
          globalSetup: ['test/helpers/tmp-setup.ts'],
          env: TEST_ENV,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Pages run this many at a time (each page's blocks in order, in its own copy of the repository).
          maxConcurrency: 3,
          sequence: { groupOrder: 2 },
        },
      },
      {
        extends: true,
        test: {
          // `npm run test:timing`, the third command of .ci/run.
          name: 'timing',
          include: TIMING_TESTS,
          globalSetup: ['test/helpers/tmp-setup.ts'],
          env: TEST_ENV,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // Alone and one file at a time: their figures are latency ratios.
          fileParallelism: false,
          sequence: { groupOrder: 3 },
        },
      },
      {
        extends: true,
        // Checks the MMLU_* settings and sets the project's maxConcurrency from them.
        plugins: [mmluOptionsPlugin()],
        test: {
          name: 'mmlu',
          // The 57 MMLU subjects, and the example of a question set of your own.
          include: ['evals/**/*.eval.ts', 'examples/**/*.eval.ts'],
          // Fetches the MMLU data on a first run without MMLU_DATA_DIR.
          globalSetup: ['src/global-setup.ts'],
          // One model load per worker, shared by the subject files it runs.
          isolate: false,
          // A retried test would send its question again; retries belong to the backends.
          retry: 0,
        },
      },
    ],
  },
})
