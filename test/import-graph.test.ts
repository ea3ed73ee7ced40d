// The flow of docs/architecture.md, kept honest: no module of ours imports its
// way back to itself, a stage imports only the stages before it in a run, and
// the product (src/, reporters/) never imports test doubles.
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

/** A relative import of a file: the module it names, and whether it is type-only. */
interface Edge {
  to: string
  typeOnly: boolean
}

/** Relative imports of a file (type-only ones too: a cycle of types is still a cycle in the design). */
function edges(file: string): Edge[] {
  const text = readFileSync(file, 'utf8')
  const out: Edge[] = []
  for (const m of text.matchAll(/^\s*(import|export)(\s+type\b)?[^'"]*?from\s+'(\.[^']+)'/gm)) {
    out.push({ to: path.normalize(path.join(path.dirname(file), m[3]!.replace(/\.js$/, '.ts'))), typeOnly: m[2] !== undefined })
  }
  return out
}

function imports(file: string): string[] {
  return edges(file).map((e) => e.to)
}

// The stages of a run in order (docs/architecture.md): a module imports its own
// layer and the ones before it, never a later one.
const LAYERS: readonly (readonly string[])[] = [
  ['src/base/'],
  ['src/dataset/'],
  ['src/prompt/'],
  ['src/config/'],
  ['src/backends/'],
  ['src/scoring/'],
  ['src/analysis/'],
  ['src/run/'],
  ['src/gate/'],
  ['src/study/', 'src/suite.ts', 'src/global-setup.ts'],
  ['reporters/'],
  ['scripts/', 'bench/'],
]

// Later layers a module may still name, for types only, with the reason.
const TYPE_ONLY_EXCEPTIONS: readonly { from: string; to: string; why: string }[] = [
  // The settings a prompt's hash depends on are named by their option (promptFormat, rotate, …).
  { from: 'src/prompt/inputs.ts', to: 'src/config/options.ts', why: 'AskOptions picks its fields from Options' },
  // A comparison reads two finished runs.
  { from: 'src/analysis/', to: 'src/run/results.ts', why: 'the results file is what compare and the pairing read' },
]

const layerOf = (file: string): number => LAYERS.findIndex((l) => l.some((p) => file.startsWith(p)))

/** Every import that breaks the layer rules, as `from → to (why)`. */
function layerViolations(graph: Map<string, Edge[]>): string[] {
  const bad: string[] = []
  for (const [from, out] of graph) {
    const here = layerOf(from)
    for (const { to, typeOnly } of out) {
      const there = layerOf(to)
      const excepted = typeOnly && TYPE_ONLY_EXCEPTIONS.some((x) => from.startsWith(x.from) && to === x.to)
      if (here >= 0 && there > here && !excepted) bad.push(`${from} → ${to} (a later stage)`)
      // The shared types sit below everything: base/ imports nothing outside itself, record.ts nothing at all.
      if (from.startsWith('src/base/') && !to.startsWith('src/base/')) bad.push(`${from} → ${to} (base/ imports only base/)`)
      if (from === 'src/base/record.ts') bad.push(`${from} → ${to} (the shared types import nothing)`)
      // Scoring and the records take engine types from base/record.ts, never from backends.
      if (from.startsWith('src/scoring/') && to.startsWith('src/backends/')) bad.push(`${from} → ${to} (scoring never imports backends)`)
      // The verdict is for the reporter and the scripts; nothing in src/ outside gate/ asks for it.
      if (to.startsWith('src/gate/') && !from.startsWith('src/gate/') && !/^(reporters|scripts)\//.test(from)) bad.push(`${from} → ${to} (gate/ is for reporters/ and scripts/)`)
    }
  }
  return bad
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
  const typedGraph = new Map(files.map((f) => [f, edges(f)]))

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

  test('every module of src/, reporters/, scripts/ and bench/ has a layer', () => {
    expect(files.filter((f) => layerOf(f) < 0)).toEqual([])
  })

  test('a stage imports only the stages before it (docs/architecture.md)', () => {
    expect(layerViolations(typedGraph)).toEqual([])
  })

  test('the layer check finds planted violations', () => {
    const planted = new Map<string, Edge[]>([
      ['src/backends/ollama.ts', [{ to: 'src/run/results.ts', typeOnly: true }]],
      ['src/scoring/scoring.ts', [{ to: 'src/backends/backend.ts', typeOnly: true }]],
      ['src/run/summary.ts', [{ to: 'src/gate/index.ts', typeOnly: false }]],
      ['src/analysis/compare.ts', [{ to: 'src/run/results.ts', typeOnly: false }]],
      ['src/base/record.ts', [{ to: 'src/base/stats.ts', typeOnly: true }]],
      // Allowed: an earlier stage, and a listed type-only exception.
      ['src/run/results.ts', [{ to: 'src/analysis/run.ts', typeOnly: true }]],
      ['src/analysis/paired.ts', [{ to: 'src/run/results.ts', typeOnly: true }]],
    ])
    expect(layerViolations(planted)).toEqual([
      'src/backends/ollama.ts → src/run/results.ts (a later stage)',
      'src/scoring/scoring.ts → src/backends/backend.ts (scoring never imports backends)',
      'src/run/summary.ts → src/gate/index.ts (a later stage)',
      'src/run/summary.ts → src/gate/index.ts (gate/ is for reporters/ and scripts/)',
      'src/analysis/compare.ts → src/run/results.ts (a later stage)',
      'src/base/record.ts → src/base/stats.ts (the shared types import nothing)',
    ])
  })
})
