// Issue 13 item 7: an error the user causes (a bad option, missing data, no
// model, a bad thresholds file) is one block that says what is wrong and the
// fix, printed once: no Vitest "Startup Error" / "Unhandled Error" banner, no
// stack trace, no empty summary table before it. (Missing data: see
// integrity-run.test.ts; a bad thresholds file: gate-e2e.test.ts.)
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { closedPort } from '../fixtures/servers/model-server.js'
import { FIXTURE_DATA_DIR } from './helpers/data.js'
import { runVitest } from './helpers/run-vitest.js'

const CLUTTER = /Startup Error|Unhandled Error|Serialized Error|\n\s+at |subject +correct|Accuracy {3}/

function once(output: string, text: string): void {
  expect(output.split(text).length - 1, output).toBe(1)
}

describe('errors a user causes', () => {
  test('a bad option: one line naming the variable, the value and what it accepts; exit 1 before anything runs', async () => {
    const run = await runVitest(['evals/astronomy'], { env: { MMLU_SHOTS: '9', MMLU_DATA_DIR: FIXTURE_DATA_DIR } })
    expect(run.code).toBe(1)
    once(run.output, '✗ MMLU_SHOTS="9" is not valid: expected a whole number from 0 to 5.')
    expect(run.output).not.toMatch(CLUTTER)
    expect(run.output).not.toContain('failed to load config')
  })

  test('no model anywhere: the ways to get one, once for the whole run, not once per subject file', async () => {
    const port = await closedPort()
    const store = await mkdtemp(path.join(os.tmpdir(), 'mmlu-empty-store-'))
    const run = await runVitest(['evals/astronomy', 'evals/business_ethics'], {
      env: { MMLU_MODEL: 'nosuch:1b', OLLAMA_HOST: `127.0.0.1:${port}`, OLLAMA_MODELS: store, MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1' },
    })
    expect(run.code).toBe(1)
    once(run.output, '✗ No model found for MMLU_MODEL=nosuch:1b')
    expect(run.output).toContain('Ways to get a model:')
    expect(run.output).toContain('(2 subject files: astronomy, business_ethics)')
    expect(run.output).not.toMatch(CLUTTER)
    expect(run.output).not.toMatch(/EngineError/)
    expect(run.results).toBeUndefined()
  })

  // Issue 22 item 2: a typo beside a valid subject ran one subject with exit 0 and one trailing line.
  test('a subject filter that matches no file beside one that does: the did-you-mean, exit 1, before anything runs', async () => {
    const run = await runVitest(['evals/world_religions', 'evals/astronmy'], { env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR } })
    expect(run.code).toBe(1)
    once(run.output, '✗ evals/astronmy matches no subject file: did you mean evals/astronomy?')
    expect(run.output).not.toMatch(CLUTTER)
    expect(run.results).toBeUndefined()
  })

  test('a subject filter alone that matches nothing: the did-you-mean first, not under Vitest\'s include/exclude listing', async () => {
    const run = await runVitest(['evals/astronmy'], { env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR } })
    expect(run.code).toBe(1)
    once(run.output, '✗ evals/astronmy matches no subject file: did you mean evals/astronomy?')
    expect(run.output).not.toMatch(/No test files found|include:|exclude:/)
  })

  // Issue 22 item 5: offline, the README's one-subject command ended in a Startup Error and a stack from node_modules.
  test('no data folder and no network: the three ways out, exit 1, no stack trace', async () => {
    const run = await runVitest(['evals/astronomy'], { env: { MMLU_DATA_URL: 'https://mmlu-data.invalid/data.tar' } })
    expect(run.code).toBe(1)
    once(run.output, '✗ Could not download the MMLU data from https://mmlu-data.invalid/data.tar')
    expect(run.output).toContain('Three ways out:\n  1. connect to the internet and run npm run data:pull again')
    expect(run.output).toContain('  2. set MMLU_DATA_DIR to a folder that has the data')
    expect(run.output).toMatch(/ {2}3\. copy the data \(the dev\/ and test\/ folders of data\.tar\) into \S+mmlu\./)
    expect(run.output).not.toMatch(CLUTTER)
    expect(run.output).not.toMatch(/DownloadError|node_modules/)
    expect(run.results).toBeUndefined()
  })
})
