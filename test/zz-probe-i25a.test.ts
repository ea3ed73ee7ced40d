import { test } from 'vitest'
import { startModelServer } from '../fixtures/servers/model-server.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { runVitest } from './helpers/run-vitest.js'
test('probe', async () => {
  for (const models of [[], [{ name: 'other' }]]) {
    const s = await startModelServer({ models })
    const run = await runVitest(['evals/astronomy'], { env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', MMLU_BACKEND: 'openai', MMLU_OPENAI_BASE_URL: `${s.url}/v1`, MMLU_MODEL: 'test-model' } })
    console.log('=====', JSON.stringify(models), run.code, run.output.slice(-1500))
    await s.close()
  }
})
