// `npm run leaderboard [-- <run> <run> …]`: which model should I run? Every
// kept run (reports/runs/, newest first) or the results files and run folders
// named, ranked in tables of comparable runs, ties with the best said plainly
// (src/analysis/leaderboard.ts). Prints the table and writes leaderboard.md,
// leaderboard.html and leaderboard.json.
//   --out <dir>     where they go (default: the folder of MMLU_RESULTS, reports/)
//   --dir <dir>     the runs folder read when no run is named (default: runs/ beside MMLU_RESULTS)
//   --alpha <a>     significance level of the ties (default MMLU_ALPHA)
import { existsSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { runLabels } from '../src/analysis/compare.js'
import type { LeaderboardRun } from '../src/analysis/leaderboard.js'
import { leaderboard } from '../src/analysis/leaderboard.js'
import { writeFileAtomic } from '../src/run/atomic-write.js'
import { GateConfigError } from '../src/base/file-errors.js'
import { readRunArg, resultsPathOf } from '../src/run/results-read.js'
import { OptionsError, readOptions } from '../src/config/options.js'
import type { ResultsFile } from '../src/run/results.js'
import { listRuns, RUN_RESULTS_FILE, RUNS_FOLDER } from '../src/run/kept-runs.js'
import { shownPath } from '../src/run/shown-path.js'
import { decimalNumber } from '../src/base/strict-number.js'
import { renderLeaderboardHtml, renderLeaderboardMarkdown, renderLeaderboardTerminal } from '../reporters/render/leaderboard.js'

const USAGE = 'Usage: npm run leaderboard [-- <results.json | run folder> …] [--out <dir>] [--dir <runs folder>] [--alpha <a>]'


/** The weights' size, when the run's model was a file that is still there (a server's model is not ours to stat). */
function sizeOnDisk(results: ResultsFile): number | undefined {
  const p = results.provenance[0]
  if (!p || p.server !== undefined || !p.source) return undefined
  try {
    const s = statSync(p.source)
    return s.isFile() ? s.size : undefined
  } catch {
    return undefined
  }
}

/** The command itself, callable in-process (tests and eval:models); prints through `print`. */
export async function main(argv: string[], print: (line: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, dir: { type: 'string' }, alpha: { type: 'string' }, help: { type: 'boolean', default: false } },
    strict: true,
  })
  if (values.help) {
    print(USAGE)
    return 0
  }
  const options = readOptions()
  const alpha = values.alpha === undefined ? options.alpha : decimalNumber(values.alpha)
  if (alpha === undefined || !(alpha > 0 && alpha < 1)) throw new Error(`--alpha ${JSON.stringify(values.alpha)} is not valid: expected a number between 0 and 1`)
  const runsDir = resolve(values.dir ?? join(dirname(options.resultsFile), RUNS_FOLDER))
  const files = positionals.length ? positionals.map(resultsPathOf) : (await listRuns(runsDir)).map((r) => join(runsDir, r.id, RUN_RESULTS_FILE))
  if (files.length === 0) {
    print(`No runs to rank: none kept in ${shownPath(runsDir)}/ (every run that answers questions is kept there), and none named.`)
    return 1
  }
  const read = await Promise.all(files.map(readRunArg))
  const labels = runLabels(read)
  const runs: LeaderboardRun[] = read.map((r, i) => {
    const size = sizeOnDisk(r.results)
    return { ...r, label: labels[i]!, ...(size !== undefined ? { sizeBytes: size } : {}) }
  })
  const board = leaderboard(runs, alpha)
  print(renderLeaderboardTerminal(board))
  const out = resolve(values.out ?? dirname(options.resultsFile))
  const written = { markdown: join(out, 'leaderboard.md'), html: join(out, 'leaderboard.html'), json: join(out, 'leaderboard.json') }
  const index = join(runsDir, 'index.html')
  await writeFileAtomic(written.markdown, renderLeaderboardMarkdown(board))
  await writeFileAtomic(written.html, await renderLeaderboardHtml(board, existsSync(index) ? relative(out, index).split('\\').join('/') : undefined))
  await writeFileAtomic(written.json, `${JSON.stringify(board, null, 1)}\n`)
  print(`\nWritten    ${shownPath(written.markdown)} · ${shownPath(written.html)} · ${shownPath(written.json)}`)
  return 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: Error) => {
      console.error(e instanceof GateConfigError || e instanceof OptionsError ? `${e.name}: ${e.message}` : `${e.message}\n${USAGE}`)
      process.exitCode = 1
    },
  )
}
