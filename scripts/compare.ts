// `npm run compare -- <run> <run> [<run>…]`: runs side by side, question by
// question. Each <run> is a results JSON or a kept run's folder
// (reports/runs/<time>-<model>/). The first is the reference. Prints the
// table and writes compare.md and compare.html (default: into reports/).
//   --out <dir>     where compare.md and compare.html go (default: the folder of MMLU_RESULTS)
//   --data <dir>    the MMLU data folder to read flipped questions' text from (default: each run's own)
//   --flips <n>     flipped questions listed in the terminal (default MMLU_FLIPS_SHOWN)
//   --alpha <a>     significance level for the * marks (default MMLU_ALPHA)
// Exit code 1 when a run cannot be read or a pair is refused (different prompts or data).
import { mkdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { RunComparison } from '../src/analysis/compare.js'
import { compareRuns, runLabels } from '../src/analysis/compare.js'
import type { QuestionLookup } from '../src/dataset/lookup.js'
import { lookUpQuestions } from '../src/dataset/lookup.js'
import { GateConfigError } from '../src/base/file-errors.js'
import { readRunArg } from '../src/run/results-read.js'
import { writeFileAtomic } from '../src/run/atomic-write.js'
import { OptionsError, readOptions } from '../src/config/options.js'
import { shownPath } from '../src/run/shown-path.js'
import { decimalNumber, wholeNumber } from '../src/base/strict-number.js'
import { renderCompareHtml, renderCompareMarkdown, renderCompareTerminal } from '../reporters/render/compare.js'

const USAGE = 'Usage: npm run compare -- <results.json | run folder> <results.json | run folder> [more…] [--out <dir>] [--data <dir>] [--flips <n>] [--alpha <a>]'


class UsageError extends Error {
  override name = 'UsageError'
}


/** The text of every subject with a flip: from --data, else from the first run whose data folder still holds what was asked. */
export async function flippedQuestionTexts(c: RunComparison, dataDir: string | undefined): Promise<Map<string, QuestionLookup>> {
  const subjects = new Set(c.pairs.flatMap((p) => (p.kind === 'compared' ? p.flips.map((f) => f.subject) : [])))
  const texts = new Map<string, QuestionLookup>()
  for (const subject of subjects) {
    let found: QuestionLookup | undefined
    for (const run of c.runs) {
      found = await lookUpQuestions(dataDir ?? run.results.config.dataDir, subject, run.results.config.inputs?.[subject])
      if ('questions' in found || dataDir) break
    }
    texts.set(subject, found!)
  }
  return texts
}

/** A flag's number, read strictly (`--flips ""` is not 0, `--alpha 0x1` not 1). */
function number(name: string, raw: string | undefined, fallback: number, read: (raw: string) => number | undefined, ok: (n: number) => boolean): number {
  if (raw === undefined) return fallback
  const n = read(raw)
  if (n === undefined || !ok(n)) throw new UsageError(`--${name} ${JSON.stringify(raw)} is not valid`)
  return n
}

/** The command itself, callable in-process (tests); prints through `print` and `printError`. */
export async function main(argv: string[], print: (line: string) => void = console.log, printError: (line: string) => void = console.error): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, data: { type: 'string' }, flips: { type: 'string' }, alpha: { type: 'string' }, help: { type: 'boolean', default: false } },
    strict: true,
  })
  if (values.help) {
    print(USAGE)
    return 0
  }
  if (positionals.length < 2) throw new UsageError(`compare needs at least two runs, got ${positionals.length}`)
  const options = readOptions()
  const flips = number('flips', values.flips, options.flipsShown, wholeNumber, () => true)
  const alpha = number('alpha', values.alpha, options.alpha, decimalNumber, (n) => n > 0 && n < 1)
  const read = await Promise.all(positionals.map(readRunArg))
  const labels = runLabels(read)
  const comparison = compareRuns(
    read.map((r, i) => ({ ...r, label: labels[i] as string })),
    alpha,
  )
  const texts = await flippedQuestionTexts(comparison, values.data)
  print(renderCompareTerminal(comparison, texts, flips))
  const out = resolve(values.out ?? dirname(options.resultsFile))
  const md = join(out, 'compare.md')
  const html = join(out, 'compare.html')
  await mkdir(out, { recursive: true })
  await writeFileAtomic(md, renderCompareMarkdown(comparison, texts))
  await writeFileAtomic(html, await renderCompareHtml(comparison, texts))
  print(`\nWritten    ${shownPath(md)} · ${shownPath(html)}`)
  const refused = comparison.pairs.filter((p) => p.kind === 'refused').length
  if (refused) printError(`\nExit code 1: ${refused} of ${comparison.pairs.length} comparison${comparison.pairs.length === 1 ? ' was' : 's were'} refused (different prompts or data).`)
  return refused ? 1 : 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: Error) => {
      // Our errors name the file and the fix; a bad flag or count gets the usage too.
      console.error(e instanceof GateConfigError || e instanceof OptionsError ? `${e.name}: ${e.message}` : `${e.message}\n${USAGE}`)
      process.exitCode = 1
    },
  )
}
