// `npm run runs`: the kept runs (reports/runs/, see src/run/kept-runs.ts), newest
// first; `-- --keep N` deletes all but the newest N and rewrites the index.
//   --dir <runs folder>   default: runs/ beside MMLU_RESULTS (reports/runs)
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { OptionsError, readOptions } from '../src/config/options.js'
import { pruneRuns, RUNS_FOLDER } from '../src/run/kept-runs.js'
import { writeRunsIndex } from '../reporters/run-pages.js'
import { shownPath } from '../src/run/shown-path.js'
import { wholeNumber } from '../src/base/strict-number.js'
import { runProtocol } from '../reporters/render/runs-index.js'
import { ci, pct, rate, table } from '../reporters/render/format.js'

const USAGE = 'Usage: npm run runs [-- --keep <N>] [--dir <runs folder>]'

/** The command itself, callable in-process (tests); prints through `print`. */
export async function main(argv: string[], print: (line: string) => void = console.log): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { keep: { type: 'string' }, dir: { type: 'string' }, help: { type: 'boolean', default: false } }, strict: true })
  if (values.help) {
    print(USAGE)
    return 0
  }
  // Strictly digits: `--keep "$KEEP"` with KEEP unset is `--keep ""`, which Number() reads as 0 (delete them all).
  const keep = values.keep === undefined ? undefined : wholeNumber(values.keep)
  if (values.keep !== undefined && keep === undefined) throw new Error(`--keep ${JSON.stringify(values.keep)} is not valid: expected a whole number of runs to keep (0 deletes them all)`)
  const dir = resolve(values.dir ?? join(dirname(readOptions().resultsFile), RUNS_FOLDER))
  if (!existsSync(dir)) {
    print(`No runs kept yet in ${shownPath(dir)}/: every run that answers questions is kept there.`)
    return 0
  }
  const pruned = keep === undefined ? [] : await pruneRuns(dir, keep)
  const runs = await writeRunsIndex(dir)
  const path = shownPath(dir)
  if (runs.length) {
    const rows = [['run', 'model', 'protocol', 'questions', 'accuracy', '95% CI', 'q/s', 'status']]
    for (const r of runs) rows.push([`${path}/${r.id}`, r.model, runProtocol(r), String(r.questions), pct(r.accuracy), ci(r.ci95), rate(r.questionsPerSecond ?? NaN), r.status])
    print(table(rows, new Set([3, 4, 6])))
  }
  print(`${runs.length} run${runs.length === 1 ? '' : 's'} kept in ${path}/ · index ${path}/index.html${pruned.length ? ` · deleted ${pruned.length}: ${pruned.join(', ')}` : ''}`)
  return 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: Error) => {
      console.error(e instanceof OptionsError ? `${e.name}: ${e.message}` : `${e.message}\n${USAGE}`)
      process.exitCode = 1
    },
  )
}
