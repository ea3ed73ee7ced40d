// The hot-path benches (`vitest bench`, tinybench underneath), apart from the
// project's vitest.config.ts so no test run (`npm test`, the mmlu project)
// ever picks them up. Run by part B6 of `npm run bench` (bench/hot.ts).
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    // Nothing to run as a test; `vitest bench` reads benchmark.include.
    include: [],
    benchmark: { include: ['bench/hot/*.bench.ts'] },
    // One file at a time: two files timing side by side would share the cores.
    fileParallelism: false,
    env: { MMLU_ENV_FILES: 'off' },
  },
})
