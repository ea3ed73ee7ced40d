// Settings: a misspelt MMLU_ variable stops the run with the closest name, and
// .env / .env.local in the project root hold settings under the environment.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { cp, mkdtemp, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import { DEFINITIONS, readOptions } from '../src/config/options.js'
import { describeSources, readSettings, readSettingsFiles } from '../src/config/settings-files.js'
import { cleanEnv, runVitest } from './helpers/run-vitest.js'

const FIXTURE_DATA_DIR = path.resolve('fixtures/mmlu/hf')

async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-settings-'))
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text)
  return dir
}

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('an MMLU_ variable that is not a setting', () => {
  test.each([
    ['MMLU_SHOT', 'MMLU_SHOTS'],
    ['MMLU_LIMT', 'MMLU_LIMIT'],
    ['MMLU_DATADIR', 'MMLU_DATA_DIR'],
    ['MMLU_THRESHOLD', 'MMLU_THRESHOLDS'],
    ['MMLU_OLLAMA_HOST', 'OLLAMA_HOST'],
  ])('%s stops with: did you mean %s?', (typo, meant) => {
    expect(() => readOptions({ [typo]: '3' })).toThrow(`${typo} is not a setting; did you mean ${meant}?`)
  })

  test('a name like no setting gets no guess, only the fix', () => {
    expect(() => readOptions({ MMLU_FROBNICATE_WIDGETS: '1' })).toThrow(/^MMLU_FROBNICATE_WIDGETS is not a setting\. Fix: correct or remove it; .*docs\/options\.md/)
  })

  test('every option variable is accepted, and other prefixes are none of our business', () => {
    const env = Object.fromEntries(Object.values(DEFINITIONS).map((d) => [d.env, '']))
    expect(() => readOptions({ ...env, VITEST_POOL_ID: '1', OLLAMA_NUM_PARALLEL: '2', HOME: '/x' })).not.toThrow()
  })

  test('in a settings file, the message names the file', async () => {
    const dir = await folderWith({ '.env.local': 'MMLU_SHOT=3\n' })
    vi.stubEnv('MMLU_SHOT', undefined)
    const { env, sources } = readSettings(dir, {})
    expect(() => readOptions(env, sources)).toThrow('MMLU_SHOT (in .env.local) is not a setting; did you mean MMLU_SHOTS?')
  })

  test("the project's own scripts, tests and docs set no MMLU_ variable that is not an option", () => {
    const known = new Set(Object.values(DEFINITIONS).map((d) => d.env))
    const files = ['package.json', '.ci/run', 'vitest.config.ts', 'README.md', ...['docs', 'test', 'scripts', 'src', 'reporters', 'bench', 'fixtures', 'examples', 'evals'].flatMap(tree)]
    const texts = files.map((f) => [f, readFileSync(f, 'utf8')] as const)
    // TypeScript constants named MMLU_… (MMLU_OPTIONS, MMLU_PROJECT) are code, not variables of the environment.
    const constants = new Set(texts.flatMap(([, t]) => [...t.matchAll(/\bconst (MMLU_[A-Z0-9_]+)\b/g)].map((m) => m[1]!)))
    // Set, not mentioned: `MMLU_X=` (shell, .env files), `MMLU_X: ` (an env object's key), `env.MMLU_X`.
    const set = /\b(MMLU_[A-Z0-9_]*[A-Z0-9])(?==|: )|\benv\.(MMLU_[A-Z0-9_]*[A-Z0-9])\b/g
    const unknown = texts.flatMap(([f, t]) =>
      [...t.matchAll(set)].map((m) => m[1] ?? m[2]!).filter((n) => !known.has(n) && !constants.has(n)).map((n) => `${f}: ${n}`),
    )
    // This file's own misspellings are the point of it, and so is the options page's example of the error.
    const examples = new Set(['docs/options.md: MMLU_SHOT', 'scripts/docs-options.ts: MMLU_SHOT', 'docs/common-errors.md: MMLU_LIMT'])
    expect(unknown.filter((u) => !u.startsWith('test/settings-files.test.ts') && !examples.has(u))).toEqual([])
  })

  test('a run with one stops before the first question: exit 1, the message once, no stack', async () => {
    const run = await runVitest(['evals/astronomy'], { env: { MMLU_DATA_DIR: FIXTURE_DATA_DIR, MMLU_ALLOW_PARTIAL: '1', MMLU_MODEL: await fixtureModelPath('fixed-C'), MMLU_LIMT: '5' } })
    expect(run.code, run.output).toBe(1)
    expect(run.output.match(/MMLU_LIMT is not a setting; did you mean MMLU_LIMIT\?/g)).toHaveLength(1)
    expect(run.output).not.toMatch(/\n\s+at /)
    expect(run.results).toBeUndefined()
  })
})

describe('.env and .env.local', () => {
  test('.env.local over .env, the environment over both, each with its source', async () => {
    const dir = await folderWith({ '.env': 'MMLU_SHOTS=3\nMMLU_MODEL=from-env-file\nOTHER=1\n', '.env.local': 'MMLU_MODEL=from-local\nMMLU_LIMIT=7\n' })
    for (const k of ['MMLU_SHOTS', 'MMLU_MODEL', 'MMLU_LIMIT']) vi.stubEnv(k, undefined)
    const { env, sources } = readSettings(dir, { MMLU_LIMIT: '2', PATH: '/bin' })
    expect(env).toMatchObject({ MMLU_SHOTS: '3', MMLU_MODEL: 'from-local', MMLU_LIMIT: '2', PATH: '/bin' })
    // Only MMLU_ variables come from the files.
    expect(env.OTHER).toBeUndefined()
    expect(Object.fromEntries(sources)).toEqual({ MMLU_SHOTS: '.env', MMLU_MODEL: '.env.local', MMLU_LIMIT: 'the environment' })
    expect(readOptions(env, sources)).toMatchObject({ shots: 3, model: 'from-local', limit: 2 })
    expect(describeSources(sources)).toBe('settings MMLU_MODEL from .env.local · MMLU_SHOTS from .env · MMLU_LIMIT from the environment')
  })

  test('files read once, as the main process does, give a worker the same settings and sources without reading again', async () => {
    const dir = await folderWith({ '.env': 'MMLU_SHOTS=3\nMMLU_MODEL=from-env-file\n', '.env.local': 'MMLU_MODEL=from-local\nMMLU_LIMIT=7\n' })
    for (const k of ['MMLU_SHOTS', 'MMLU_MODEL', 'MMLU_LIMIT']) vi.stubEnv(k, undefined)
    const read = readSettingsFiles(dir)
    expect(read).toEqual({ values: { MMLU_SHOTS: '3', MMLU_MODEL: 'from-local', MMLU_LIMIT: '7' }, local: ['MMLU_LIMIT', 'MMLU_MODEL'] })
    const direct = readSettings(dir, { MMLU_LIMIT: '2' })
    const handed = readSettings(dir, { MMLU_LIMIT: '2' }, [], read)
    expect(handed.env).toEqual(direct.env)
    expect(Object.fromEntries(handed.sources)).toEqual(Object.fromEntries(direct.sources))
    // Given the files, the folder is not read: what it holds now does not count.
    await writeFile(path.join(dir, '.env.local'), 'MMLU_MODEL=changed\n')
    expect(readSettings(dir, {}, [], read).env).toMatchObject({ MMLU_MODEL: 'from-local', MMLU_LIMIT: '7' })
    expect(readSettings(dir, {}).env).toMatchObject({ MMLU_MODEL: 'changed' })
  })

  test('MMLU_ENV_FILES=off in the environment reads no file', async () => {
    const dir = await folderWith({ '.env.local': 'MMLU_SHOT=3\nMMLU_MODEL=x\n' })
    for (const k of ['MMLU_SHOT', 'MMLU_MODEL']) vi.stubEnv(k, undefined)
    const { env, sources } = readSettings(dir, { MMLU_ENV_FILES: 'off' })
    expect(env).toEqual({ MMLU_ENV_FILES: 'off' })
    expect(readOptions(env, sources)).toMatchObject({ envFiles: false, model: 'llama3.2:1b' })
  })

  test("spawned runs read no developer's .env.local: cleanEnv switches the files off", () => {
    expect(cleanEnv({}).MMLU_ENV_FILES).toBe('off')
    expect(process.env.MMLU_ENV_FILES).toBe('off')
  })

  test('.env.local is git-ignored', () => {
    expect(readFileSync('.gitignore', 'utf8').split('\n')).toContain('.env.local')
  })

  test('a run in a project with .env.local uses it, under the environment, and its header says where each setting came from', async () => {
    // A copy of the project, so this test's .env.local is nobody else's.
    const top = await mkdtemp(path.join(os.tmpdir(), 'mmlu-envfile-'))
    const repo = path.join(top, 'repo')
    const skip = new Set(['node_modules', '.git', '.cache', 'reports', '.env', '.env.local'])
    await cp(path.resolve('.'), repo, { recursive: true, filter: (src) => path.dirname(src) !== path.resolve('.') || !skip.has(path.basename(src)) })
    await symlink(path.resolve('node_modules'), path.join(repo, 'node_modules'))
    // The instant always-C engine: the settings are what is tested, not llama.cpp.
    await writeFile(path.join(repo, '.env'), `MMLU_SHOTS=1\nMMLU_LIMIT=9\n`)
    await writeFile(path.join(repo, '.env.local'), `MMLU_DATA_DIR=${FIXTURE_DATA_DIR}\nMMLU_ENGINE_MODULE=fixtures/engines/always-c.ts\nMMLU_ALLOW_PARTIAL=1\nMMLU_LIMIT=4\n`)
    const env = cleanEnv({ MMLU_ENV_FILES: 'on', MMLU_LIMIT: '3', MMLU_RESULTS: path.join(top, 'results.json'), XDG_CACHE_HOME: path.join(top, 'cache') })
    const child = spawn(process.execPath, [path.join(repo, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'mmlu', 'evals/astronomy'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code, output).toBe(0)
    const results = JSON.parse(readFileSync(path.join(top, 'results.json'), 'utf8')) as { config: { shots: number; limit: number }; summary: { questions: number } }
    // The environment's limit (3) over .env.local's (4) over .env's (9); .env's shots where nothing else sets them.
    expect(results.config).toMatchObject({ shots: 1, limit: 3 })
    expect(results.summary.questions).toBe(3)
    expect(output).toContain('settings MMLU_ALLOW_PARTIAL, MMLU_DATA_DIR, MMLU_ENGINE_MODULE from .env.local · MMLU_SHOTS from .env · ')
    expect(output).toMatch(/MMLU_ENV_FILES, MMLU_LIMIT, MMLU_RESULTS, MMLU_THREADS from the environment/)
  })
})

function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|md|json|csv|sh)$/.test(f) && !f.endsWith('.csv'))
    .map((f) => path.join(dir, f))
}
