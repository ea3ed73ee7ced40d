// The project's config with the fixture topics (fixtures/topics/*.eval.ts) in
// the mmlu project too, for the tests of question sets of your own; the
// product's config keeps fixtures out. Spawned runs pass
// `--config test/helpers/topics.config.ts`.
import type { TestProjectInlineConfiguration, ViteUserConfig as UserConfig } from 'vitest/config'
import base from '../../vitest.config.js'

const config = base as UserConfig
const projects = (config.test?.projects ?? []) as TestProjectInlineConfiguration[]

export default {
  ...config,
  // The config file's folder is not the project root: the root stays where the tests run.
  root: process.cwd(),
  test: {
    ...config.test,
    projects: projects.map((p) => (p.test?.name === 'mmlu' ? { ...p, test: { ...p.test, include: [...(p.test.include ?? []), 'fixtures/topics/**/*.eval.ts'] } } : p)),
  },
} satisfies UserConfig
