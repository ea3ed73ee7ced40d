// Start-up pays only for what the run uses: node-llama-cpp (~0.6 s to import on a
// quiet machine), the OpenAI client and echarts are imported where they are used
// (`await import(...)`), never statically from the run's entry points, so an
// Ollama or OpenAI run, a failing option check and the reporter start without them.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, test } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '..')
/** What every `vitest run --project mmlu` loads: the config, the global setup, the reporter, a subject file. */
const ENTRIES = ['vitest.config.ts', 'src/global-setup.ts', 'reporters/mmlu-reporter.ts', 'evals/astronomy.eval.ts']
// ollama's client and tar load in ~20 ms each, Vite's entry (for loadEnv) in ~0.1 s in a worker that has only its module runner.
const HEAVY = ['node-llama-cpp', 'openai', 'echarts', 'ollama', 'tar', 'vite']

/** Modules a file imports at load time: static imports and re-exports that are not type-only. */
function valueImports(file: string, text = readFileSync(file, 'utf8')): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const out: string[] = []
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const clause = st.importClause
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly || (!clause.name && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)))
      if (!typeOnly) out.push((st.moduleSpecifier as ts.StringLiteral).text)
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && !st.isTypeOnly) {
      out.push((st.moduleSpecifier as ts.StringLiteral).text)
    }
  }
  return out
}

/** Our files reachable from `entry` through load-time imports, and the packages they import, each with one path that reaches it. */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[entry, [entry]]])
  const queue = [entry]
  while (queue.length) {
    const file = queue.shift()!
    for (const spec of valueImports(path.join(ROOT, file))) {
      const via = [...seen.get(file)!]
      if (spec.startsWith('.')) {
        const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec.replace(/\.js$/, '.ts')))
        if (!seen.has(target) && existsSync(path.join(ROOT, target))) {
          seen.set(target, [...via, target])
          queue.push(target)
        }
      } else {
        // vite/module-runner is not Vite's entry: it is small, and Vitest's own in every process.
        const pkg = spec === 'vite/module-runner' ? spec : spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!
        if (!seen.has(pkg)) seen.set(pkg, [...via, pkg])
      }
    }
  }
  return seen
}

describe('start-up imports', () => {
  test.each(ENTRIES)('%s does not load node-llama-cpp, openai, echarts, ollama, tar or vite at start-up', (entry) => {
    const found = reachable(entry)
    const heavy = HEAVY.filter((p) => found.has(p)).map((p) => found.get(p)!.join(' → '))
    expect(heavy).toEqual([])
  })

  test('the config bundles no module of ours but the plugin, which loads the options through the module runner', () => {
    // Vite bundles vitest.config.ts and what it imports on every start; the runner caches on disk.
    const ours = [...reachable('vitest.config.ts').keys()].filter((k) => k.endsWith('.ts'))
    expect(ours).toEqual(['vitest.config.ts', 'src/config/vitest-plugin.ts'])
  })

  test('the walk finds a package through a chain of files, and skips type-only imports', () => {
    expect(valueImports('a.ts', "import type { Llama } from 'node-llama-cpp'\nimport { type X } from 'openai'\nimport { getLlama } from 'node-llama-cpp'\nexport { a } from './b.js'\n")).toEqual(['node-llama-cpp', './b.js'])
    // The engine is reached from a subject file, through the suite: the walk must see that far.
    expect(reachable('evals/astronomy.eval.ts').has('src/backends/index.ts')).toBe(true)
  })
})
