// The flow of ARCHITECTURE.md, kept honest: no module of ours imports its way
// back to itself, and the product (src/, reporters/) never imports test doubles.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'

const ROOTS = ['src', 'reporters', 'scripts', 'bench']

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? sources(p) : /\.ts$/.test(e.name) ? [p] : []
  })
}

/** Relative imports of a file (type-only ones too: a cycle of types is still a cycle in the design). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)) {
    out.push(path.normalize(path.join(path.dirname(file), m[1]!.replace(/\.js$/, '.ts'))))
  }
  return out
}

function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (n: string) => {
    state.set(n, 'open')
    stack.push(n)
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') found.push([...stack.slice(stack.indexOf(m)), m])
      else if (!state.has(m)) visit(m)
    }
    stack.pop()
    state.set(n, 'done')
  }
  for (const n of graph.keys()) if (!state.has(n)) visit(n)
  return found
}

describe('import graph', () => {
  const files = ROOTS.flatMap(sources)
  const graph = new Map(files.map((f) => [f, imports(f)]))

  test('has no cycles', () => {
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([])
  })

  test('the cycle finder finds a planted cycle', () => {
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual([['a', 'b', 'c', 'a']])
  })

  test('src/ and reporters/ never import fixtures/ or test/', () => {
    const product = files.filter((f) => f.startsWith('src') || f.startsWith('reporters'))
    const bad = product.flatMap((f) => (graph.get(f) ?? []).filter((m) => /^(fixtures|test)\//.test(m)).map((m) => `${f} → ${m}`))
    expect(bad).toEqual([])
  })
})
