// Every command in README.md and docs/ runs as written, and this test proves it.
//
// Each page's fenced `sh` blocks run in order (pages side by side), with bash
// (-e, -o pipefail), in a copy of the repository of its own (its files; node_modules and .cache linked),
// beside a ../shared that holds the real MMLU data when this machine has it, and the
// always-C fixture GGUF under the tiny model's name (both answer C; the fixture is faster).
// The blocks run on the quick start's setup, and otherwise here, fast and alone:
// - the .env.local that docs/getting-started.md writes (MMLU_DATA_DIR=../shared/mmlu and
//   MMLU_MODEL=../shared/models/llama-2-tiny-random.gguf) is in every page's copy before
//   its first block, and no developer's .env or .env.local is copied;
// - MMLU_LIMIT=10 questions per subject; a block that sets it itself wins, and one that
//   sets MMLU_SAMPLE or MMLU_THRESHOLDS gets no limit;
// - a block that points at a server (OLLAMA_HOST, MMLU_OPENAI_BASE_URL, MMLU_BACKEND)
//   and names no model asks for the default model, as it would without .env.local (the
//   file's GGUF path would otherwise be run in-process, not asked of the server);
// - a fresh XDG_CACHE_HOME (answer cache, downloads), MMLU_THREADS=1 (cleanEnv, as spawned runs),
//   MMLU_PROGRESS_MS=0, NO_COLOR; none of this run's MMLU_*, VITEST* or GITHUB_*;
// - without ../shared, the fixture data (MMLU_ALLOW_PARTIAL=1: it has astronomy and
//   business_ethics, 8 questions each) and the always-C model stand in for them;
// - the fixed ports of the examples (4173, 11000-11999) move to free ones, all by
//   one offset, so two runs on one machine do not collide;
// - `npm ci` is taken as done (it would replace node_modules under the running
//   tests), and `npm test` runs beside this test in .ci/run (an `npm` wrapper first on the PATH says so);
//   a block of nothing else is skipped.
// Markers on a block's first lines: `# needs: …` and `# slow: …` skip it with the
// reason printed; `# exits: N` is the exit code it must end with (0 otherwise);
// `# serves until stopped; ready when it prints "…"` passes once it prints that.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cp, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import { OPTIONS_PAGE, renderOptionsPage } from '../scripts/docs-options.js'
import { RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS } from '../src/backends/guard.js'
import { GONE_AFTER_MS } from '../src/backends/server-health.js'
import { DEFAULT_MODEL, readOptions } from '../src/config/options.js'
import type { ShellBlock } from './helpers/docs.js'
import { docFiles, headingAnchors, npmRunNames, readDoc, relativeLinks, shellBlocks } from './helpers/docs.js'
import { cleanEnv } from './helpers/run-vitest.js'

const ROOT = path.resolve('.')
const SHARED = path.resolve('../shared')
const HAS_SHARED_DATA = existsSync(path.join(SHARED, 'mmlu', 'test'))
/** Left out of each copy: installed packages and caches are linked, the rest is output. */
const NOT_COPIED = new Set(['node_modules', '.git', '.cache', 'reports', 'html', 'baselines', '.env', '.env.local'])
/** A block's own run, at most: long enough for a loaded machine, and a third of the test's timeout. */
const BLOCK_LIMIT_MS = 100_000

const pages = docFiles().map((file) => ({ file, text: readDoc(file) }))

/** The settings file of the quick start, as docs/getting-started.md tells a newcomer to write it. */
const ENV_LOCAL_BLOCK = /^cat > \.env\.local <<'EOF'\n[\s\S]*?\nEOF$/m
const QUICK_START_SETTINGS = ENV_LOCAL_BLOCK.exec(readDoc('docs/getting-started.md'))?.[0]

/** This page's copy of the repository, beside a ../shared of its own. */
async function sandbox(): Promise<{ repo: string; env: NodeJS.ProcessEnv }> {
  const top = await mkdtemp(path.join(os.tmpdir(), 'mmlu-docs-'))
  const repo = path.join(top, 'repo')
  await cp(ROOT, repo, { recursive: true, filter: (src) => path.dirname(src) !== ROOT || !NOT_COPIED.has(path.basename(src)) })
  await symlink(path.join(ROOT, 'node_modules'), path.join(repo, 'node_modules'))
  await symlink(path.join(ROOT, '.cache'), path.join(repo, '.cache'))
  const shared = path.join(top, 'shared')
  await mkdir(path.join(shared, 'models'), { recursive: true })
  await symlink(HAS_SHARED_DATA ? path.join(SHARED, 'mmlu') : path.join(ROOT, 'fixtures/mmlu/hf'), path.join(shared, 'mmlu'))
  await symlink(await fixtureModelPath('fixed-C'), path.join(shared, 'models', 'llama-2-tiny-random.gguf'))
  if (!QUICK_START_SETTINGS) throw new Error("docs/getting-started.md has no `cat > .env.local <<'EOF'` block")
  execFileSync('bash', ['-e', '-c', QUICK_START_SETTINGS], { cwd: repo })

  const env = cleanEnv({
    PATH: `${await npmWrapper(top)}${path.delimiter}${process.env.PATH ?? ''}`,
    // cleanEnv switches the settings files off for the tests' own runs; these run as a user's do.
    MMLU_ENV_FILES: 'on',
    MMLU_LIMIT: '10',
    MMLU_PROGRESS_MS: '0',
    XDG_CACHE_HOME: path.join(top, 'cache'),
    ...(HAS_SHARED_DATA ? {} : { MMLU_ALLOW_PARTIAL: '1' }),
  })
  return { repo, env }
}

/**
 * An `npm` first on the PATH: `npm ci` is done, `npm test` is run by .ci/run beside this test, and
 * anything else is the real npm, exec'd, so `npm run … &` then `kill %1` stops it.
 */
async function npmWrapper(dir: string): Promise<string> {
  const bin = path.join(dir, 'bin')
  await mkdir(bin, { recursive: true })
  const realNpm = execFileSync('bash', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim()
  await writeFile(
    path.join(bin, 'npm'),
    `#!/usr/bin/env bash
case "$1" in
  ci) echo "(docs test: npm ci is done for this checkout)"; exit 0 ;;
  test) echo "(docs test: npm test runs beside this test in .ci/run)"; exit 0 ;;
esac
exec ${JSON.stringify(realNpm)} "$@"
`,
    { mode: 0o755 },
  )
  return bin
}

/** Why a block is not run here, if it is not. */
function skipReason(block: ShellBlock): string | undefined {
  if (block.skip) return block.skip
  const commands = block.code
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .flatMap((l) => l.split('&&').map((c) => c.trim()))
  if (commands.every((c) => /^npm (ci|test)$/.test(c))) return 'npm ci and npm test: .ci/run runs them around this test'
  return undefined
}

/** Fixed ports in a block (a server's `--port`, its OLLAMA_HOST, `npm run report -- --port`). */
const FIXED_PORT = /\b(4173|11[0-9]{3})\b/g

/**
 * The block's fixed ports moved to free ones, each by the same offset, so a block
 * that starts two servers on 11501 and 11502 still names them right.
 */
async function freePorts(code: string): Promise<string> {
  const ports = [...new Set([...code.matchAll(FIXED_PORT)].map((m) => Number(m[1])))]
  if (ports.length === 0) return code
  const low = Math.min(...ports)
  const span = Math.max(...ports) - low + 4 // --count N servers take the ports after the first
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000)
    const free = await Promise.all(Array.from({ length: span }, (_, i) => portIsFree(base + i)))
    if (free.every(Boolean)) return code.replace(FIXED_PORT, (p) => String(base + Number(p) - low))
  }
  throw new Error('no free range of ports for the block')
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

async function runBlock(block: ShellBlock, repo: string, pageEnv: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string; ready: boolean }> {
  const code = await freePorts(block.code)
  const env = { ...pageEnv }
  // A block that picks its own questions keeps them (MMLU_SAMPLE and MMLU_LIMIT exclude each other),
  // and a gate judges the questions its page means, whole subjects: a few are not its accuracy.
  if (/\bMMLU_(SAMPLE|THRESHOLDS)=/.test(code)) delete env.MMLU_LIMIT
  const setsModel = /\bMMLU_MODEL=/.test(code)
  const pointsAtServer = /\b(OLLAMA_HOST|MMLU_OPENAI_BASE_URL|MMLU_BACKEND)=/.test(code)
  if (!setsModel && pointsAtServer) env.MMLU_MODEL = DEFAULT_MODEL
  const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', code], { cwd: repo, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  let ready = false
  const stopGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal)
    } catch {
      // the group is gone
    }
  }
  const onData = (d: Buffer) => {
    output += d.toString()
    if (block.ready && !ready && output.includes(block.ready)) {
      ready = true
      stopGroup('SIGTERM')
    }
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()))
  const limit = setTimeout(() => stopGroup('SIGKILL'), BLOCK_LIMIT_MS)
  // The shell's own exit: a server it left in the background may still hold its output open.
  const exit = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
  clearTimeout(limit)
  // A block that failed half-way, or lets a server run out its time, leaves it behind: end the whole group.
  stopGroup('SIGKILL')
  await closed
  return { code: exit, output, ready }
}

describe('every shell block of the README and docs/ runs as written', () => {
  for (const { file, text } of pages) {
    const blocks = shellBlocks(file, text)
    if (blocks.length === 0) continue
    // Pages run side by side (the unit project's maxConcurrency), each page's blocks in order.
    describe(file, { concurrent: true }, () => {
      let page: Promise<{ repo: string; env: NodeJS.ProcessEnv }> | undefined
      for (const block of blocks) {
        const first = block.code.split('\n').find((l) => l.trim() && !l.trim().startsWith('#'))?.trim() ?? ''
        const name = `${file}:${block.line} ${first.length > 70 ? `${first.slice(0, 70)}…` : first}`
        const reason = skipReason(block)
        test.sequential(name, { timeout: 3 * BLOCK_LIMIT_MS }, async ({ skip }) => {
          if (reason) {
            console.log(`skipped ${file}:${block.line}: ${reason}`)
            skip(reason)
          }
          // The page's blocks share one copy, in order: a later block may use what an earlier one wrote.
          page ??= sandbox()
          const { repo, env } = await page
          const run = await runBlock(block, repo, env)
          const tail = `${file}:${block.line}\n$ ${block.code}\n${run.output.slice(-4000)}`
          if (block.ready) expect(run.ready, `never printed "${block.ready}": ${tail}`).toBe(true)
          else expect(run.code, tail).toBe(block.exits)
        })
      }
    })
  }
})

describe('the docs agree with the repository', () => {
  test('every `npm run X` is a script in package.json', () => {
    const scripts = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts)
    const missing = pages.flatMap(({ file, text }) => npmRunNames(text).filter((n) => !scripts.includes(n)).map((n) => `${file}: npm run ${n}`))
    expect(missing).toEqual([])
  })

  test('every relative link resolves, anchors included', () => {
    const broken: string[] = []
    for (const { file, text } of pages) {
      for (const { target } of relativeLinks(file, text)) {
        const [where, anchor] = target.split('#') as [string, string | undefined]
        const dest = where === '' ? file : path.normalize(path.join(path.dirname(file), decodeURI(where)))
        if (!existsSync(dest)) {
          broken.push(`${file}: ${target} (no ${dest})`)
          continue
        }
        if (anchor && dest.endsWith('.md') && !headingAnchors(readFileSync(dest, 'utf8')).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${dest})`)
      }
    }
    expect(broken).toEqual([])
  })

  test('docs/options.md is what npm run docs:options writes from src/config/options.ts', () => {
    expect(readFileSync(OPTIONS_PAGE, 'utf8'), 'docs/options.md is stale: run npm run docs:options').toBe(renderOptionsPage())
  })

  test('the README stays the newcomer\'s page: at most 250 lines, with the two set-up commands', () => {
    const readme = readFileSync('README.md', 'utf8')
    expect(readme.split('\n').length).toBeLessThanOrEqual(250)
    expect(readme).toContain('npm ci && npm test')
    // The quick start: install, the settings file getting-started.md writes, an eval.
    expect(QUICK_START_SETTINGS).toBeDefined()
    expect(readme).toContain(`\`\`\`sh\nnpm ci\n${QUICK_START_SETTINGS}\nnpm run eval\n\`\`\``)
    // Every command a newcomer is told to type runs on the quick start's setup: none is skipped here.
    expect(shellBlocks('README.md', readme).filter((b) => b.skip).map((b) => `README.md:${b.line} ${b.skip}`)).toEqual([])
    // No absolute path of the machine a sample ran on.
    for (const { file, text } of pages) expect(text, file).not.toMatch(/\/(work|home|Users|root)\/[\w.-]+\//)
  })
})

describe('what the README states is what the code does', () => {
  const readme = readFileSync('README.md', 'utf8')

  test('exit codes: 0 for wrong answers, 1 for errors, and an interrupt ends by its signal (test/integrity-run.test.ts runs it)', () => {
    expect(readme).toMatch(/exit code is 0/)
    expect(readme).toMatch(/130 after Ctrl-C, 143 after\s+SIGTERM/)
    expect(readme).not.toMatch(/interrupt\w*[^.]*exit code (is )?1\b/i)
  })

  test('the faults table names the rules the code applies', () => {
    const opts = readOptions({})
    expect(readme).toContain(`every request to it has failed for ${GONE_AFTER_MS / 1000} s`)
    expect(readme).toContain(`backoff (${RETRY_BASE_DELAY_MS / 1000} s doubling to ${RETRY_MAX_DELAY_MS / 1000} s, \`MMLU_RETRIES\` ${opts.retries})`)
    expect(readme).toContain(`\`MMLU_TIMEOUT_MS\` (${opts.timeoutMs / 1000} s)`)
    // faults.md, where the rules are written out in full, states the same numbers.
    const faults = readFileSync('docs/faults.md', 'utf8')
    expect(faults).toContain(`\`MMLU_RETRIES\` (default ${opts.retries}) times, backoff ${RETRY_BASE_DELAY_MS / 1000} s doubling to ${RETRY_MAX_DELAY_MS / 1000} s`)
    expect(faults).toContain(`for **${GONE_AFTER_MS / 1000} s**`)
    expect(faults).toContain(`\`MMLU_TIMEOUT_MS\` (default ${opts.timeoutMs / 1000} s)`)
  })

  test('a published figure is quoted with its protocol', () => {
    expect(readme).toMatch(/49\.3 for Llama 3\.2 1B Instruct is 5-shot, macro-averaged and\s+\*generative\*/)
    expect(readme).toMatch(/default\s+run is lm-evaluation-harness's: 5-shot, raw prompt, log-prob/)
  })
})

describe('the docs test\'s own reading of Markdown', () => {
  test('blocks, markers, npm run names, links and anchors', () => {
    const md = [
      '# Title: the `x` one',
      'See [a](docs/a.md#b-c), [web](https://x.y), `[not](a link)`, npm run foo:bar.',
      '```sh',
      '# needs: ollama',
      'npm run eval',
      '```',
      '- item',
      '  ```sh',
      '  # exits: 1',
      '  npx vitest run evals/astronmy',
      '  ```',
      '```',
      'not [a](link.md)',
      '```',
      '## Title: the `x` one',
    ].join('\n')
    expect(shellBlocks('f.md', md)).toEqual([
      { file: 'f.md', line: 3, code: '# needs: ollama\nnpm run eval', exits: 0, skip: 'needs ollama' },
      { file: 'f.md', line: 8, code: '# exits: 1\nnpx vitest run evals/astronmy', exits: 1 },
    ])
    expect(npmRunNames(md)).toEqual(['foo:bar', 'eval'])
    expect(relativeLinks('f.md', md).map((l) => l.target)).toEqual(['docs/a.md#b-c'])
    expect([...headingAnchors(md)]).toEqual(['title-the-x-one', 'title-the-x-one-1'])
    expect(shellBlocks('f.md', '```sh\n# serves until stopped; ready when it prints "UI started at"\nnpm run ui\n```')[0]!.ready).toBe('UI started at')
  })
})
