// Accepting a run as the new baseline: `npm run baseline:accept`.
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { beforeEach, describe, expect, test } from 'vitest'
import { acceptBaseline, describeAccepted } from '../src/gate/accept.js'
import { fakeRun } from './helpers/gate-runs.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-accept-'))
})

async function writeRun(name: string, run: object): Promise<string> {
  const file = path.join(dir, name)
  await writeFile(file, JSON.stringify(run, null, 1))
  return file
}

describe('acceptBaseline', () => {
  test('copies the results byte for byte and says what it replaced', async () => {
    const first = await writeRun('first.json', fakeRun({ astronomy: { correct: 3, total: 4 } }))
    const second = await writeRun('second.json', fakeRun({ astronomy: { correct: 1, total: 4 } }))
    const to = path.join(dir, 'baselines', 'mmlu.json')
    const a = await acceptBaseline({ from: first, to })
    expect(await readFile(to, 'utf8')).toBe(await readFile(first, 'utf8'))
    expect(describeAccepted(a)).toContain('replaced   nothing (new baseline)')
    const b = await acceptBaseline({ from: second, to })
    expect(await readFile(to, 'utf8')).toBe(await readFile(second, 'utf8'))
    expect(describeAccepted(b)).toMatch(/now {8}fake\.gguf · 5-shot · 1\/4 correct \(25\.0%\)[\s\S]*replaced {3}fake\.gguf · 5-shot · 3\/4 correct \(75\.0%\)/)
  })

  test('a run with errors is refused unless forced; a missing file, or one without fingerprints, is a clear error', async () => {
    const failed = await writeRun('failed.json', fakeRun({ astronomy: { outcomes: ['correct', 'error'] } }, { status: 'failed' }))
    const to = path.join(dir, 'b.json')
    await expect(acceptBaseline({ from: failed, to })).rejects.toThrow(/the run had errors \(status "failed"\).*Fix: fix the errors and run again, or pass --force/)
    await expect(acceptBaseline({ from: failed, to, force: true })).resolves.toMatchObject({ to })
    await expect(acceptBaseline({ from: path.join(dir, 'none.json'), to })).rejects.toThrow(/none\.json: no results file here/)
    const old = fakeRun({ astronomy: { correct: 1, total: 2 } })
    delete old.config.inputs
    await expect(acceptBaseline({ from: await writeRun('old.json', old), to })).rejects.toThrow(/records no prompt hashes or data fingerprints/)
    await expect(acceptBaseline({ from: to, to })).rejects.toThrow(/already the baseline file/)
  })

  test('the npm script: MMLU_BASELINE is the destination; without one it explains and exits 1', async () => {
    const from = await writeRun('run.json', fakeRun({ astronomy: { correct: 2, total: 4 } }))
    const to = path.join(dir, 'base.json')
    const env: NodeJS.ProcessEnv = { ...process.env, MMLU_RESULTS: from }
    delete env.MMLU_BASELINE
    const tsx = path.resolve('node_modules/.bin/tsx')
    const missing = spawnSync(tsx, ['scripts/accept-baseline.ts'], { env, encoding: 'utf8' })
    expect(missing.status).toBe(1)
    expect(missing.stderr).toContain('No baseline path: set MMLU_BASELINE or pass --to <baseline.json>.')
    const ok = spawnSync(tsx, ['scripts/accept-baseline.ts'], { env: { ...env, MMLU_BASELINE: to }, encoding: 'utf8' })
    expect(ok.status, ok.stderr).toBe(0)
    expect(ok.stdout).toContain(`Baseline   ${to}`)
    expect(await readFile(to, 'utf8')).toBe(await readFile(from, 'utf8'))
  })
})
