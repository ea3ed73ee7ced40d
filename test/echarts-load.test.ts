// echarts through V8's code cache (reporters/render/echarts-load.ts): written
// once a chart was drawn, used by the next process, compiled past when damaged,
// and never in the way of a chart when it cannot be written. Each load is a
// process of its own (test/helpers/echarts-load-child.ts): V8 keeps what it
// compiled per isolate, so a second load here would not read the file at all.
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, test } from 'vitest'
import { defaultCacheDir } from '../reporters/render/echarts-load.js'

const CHILD = path.resolve('test/helpers/echarts-load-child.ts')

async function load(dir: string): Promise<{ cache: string; svg: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD, dir])
  return JSON.parse(stdout) as { cache: string; svg: string }
}

const freshDir = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'mmlu-v8-')), 'cache')

describe('echarts through the code cache, one process per load', () => {
  test('absent, then written after drawing, then used; rejected when damaged, and written again: the same SVG every time', async () => {
    const dir = freshDir()
    const first = await load(dir)
    expect(first.cache).toBe('absent')
    expect(first.svg).toMatch(/^<svg /)
    const [file, ...others] = readdirSync(dir)
    expect(others).toEqual([])
    // echarts' version, Node's, the platform's, and the source's own hash.
    expect(file).toMatch(new RegExp(`^echarts-[\\d.]+-node${process.version.replace(/\./g, '\\.')}-${process.arch}-[0-9a-f]{16}\\.v8$`))
    expect(await load(dir)).toEqual({ cache: 'used', svg: first.svg })
    writeFileSync(path.join(dir, file!), Buffer.alloc(4096, 7))
    expect(await load(dir)).toEqual({ cache: 'rejected', svg: first.svg })
    expect(await load(dir)).toEqual({ cache: 'used', svg: first.svg })
  })

  // V8 checks a code cache's header only (its version, flags, the source's length), not its body:
  // a body damaged on disk or by a torn write crashed the process inside V8, on every run after.
  test('a cache damaged in its body, its header intact, is rejected before V8 reads it, and written again', async () => {
    const dir = freshDir()
    const first = await load(dir)
    const [file] = readdirSync(dir)
    const bytes = readFileSync(path.join(dir, file!))
    const at = Math.floor(bytes.length / 3)
    for (let i = at; i < at + 2000; i++) bytes[i] = bytes[i]! ^ 0xff
    writeFileSync(path.join(dir, file!), bytes)
    expect(await load(dir)).toEqual({ cache: 'rejected', svg: first.svg })
    expect(await load(dir)).toEqual({ cache: 'used', svg: first.svg })
  })

  test('a cache that cannot be written: the chart is drawn, nothing is left behind', async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'mmlu-v8-'))
    const dir = path.join(parent, 'cache')
    // A file where the folder would go: the folder cannot be made, as on a read-only node_modules.
    writeFileSync(dir, '')
    const out = await load(dir)
    expect(out.cache).toBe('absent')
    expect(out.svg).toMatch(/^<svg /)
    expect(readdirSync(parent)).toEqual(['cache'])
  })

  test('the default place is node_modules/.cache/vitest-mmlu, beside the installed package', () => {
    expect(defaultCacheDir()).toBe(path.resolve('node_modules', '.cache', 'vitest-mmlu'))
  })
})
