// The project's config with bench B7's generated topics (.cache/bench-scale/*.eval.ts)
// in the mmlu project: `npm run bench -- --only=B7` passes `--config bench/scale.config.ts`.
import type { TestProjectInlineConfiguration, ViteUserConfig as UserConfig } from 'vitest/config'
import base from '../vitest.config.js'

const config = base as UserConfig
const projects = (config.test?.projects ?? []) as TestProjectInlineConfiguration[]

export default {
  ...config,
  root: process.cwd(),
  test: {
    ...config.test,
    projects: projects.map((p) => (p.test?.name === 'mmlu' ? { ...p, test: { ...p.test, include: [...(p.test.include ?? []), '.cache/bench-scale/*.eval.ts'] } } : p)),
  },
} satisfies UserConfig
