// `npm run eval:models -- <model> <model> … [--subjects a,b] [--out <dir>]`:
// the same evaluation for each model in turn, never two at once (their
// timings would disturb each other), each run kept in the run history, and
// the leaderboard of these runs at the end (scripts/leaderboard.ts).
// A model is anything MMLU_MODEL takes (a .gguf path, an Ollama name, a
// server's model id); every other setting comes from the environment and
// .env files as for `vitest run --project mmlu`, the same for each model.
//   --subjects a,b   the subjects to ask (default: all of evals/)
//   --out <dir>      where the leaderboard goes (default: the folder of MMLU_RESULTS)
// Exit code 1 when a run failed or answered nothing (the others are still ranked).
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, statSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { isSubject } from '../src/dataset/subjects.js'
import { OptionsError, readOptions } from '../src/config/options.js'
import { listRuns, RUNS_FOLDER } from '../src/run/kept-runs.js'
import { shownPath } from '../src/run/shown-path.js'
import { main as leaderboard } from './leaderboard.js'

const USAGE = 'Usage: npm run eval:models -- <model> <model> [more…] [--subjects <subject,subject>] [--out <dir>]'
const VITEST_CLI = resolve('node_modules/vitest/vitest.mjs')

/** One model's run, as a user's `MMLU_MODEL=<model> vitest run --project mmlu [files]`; resolves with its exit code. */
function runModel(model: string, files: readonly string[]): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [VITEST_CLI, 'run', '--project', 'mmlu', ...files], { env: { ...process.env, MMLU_MODEL: model }, stdio: 'inherit' })
    child.on('error', fail)
    child.on('close', (code, signal) => done(code ?? (signal ? 1 : 0)))
  })
}

/** The command itself; prints through `print`. */
export async function main(argv: string[], print: (line: string) => void = console.log): Promise<number> {
  const { values, positionals: models } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { subjects: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', default: false } },
    strict: true,
  })
  if (values.help) {
    print(USAGE)
    return 0
  }
  if (models.length === 0) throw new Error('eval:models needs at least one model')
  const subjects = values.subjects?.split(',').map((s) => s.trim()).filter(Boolean) ?? []
  const unknown = subjects.filter((s) => !isSubject(s))
  if (unknown.length) throw new Error(`--subjects: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not an MMLU subject' : 'are not MMLU subjects'} (the names of evals/*.eval.ts, e.g. astronomy)`)
  const files = subjects.map((s) => `evals/${s}.eval.ts`)
  const options = readOptions()
  const resultsFile = resolve(options.resultsFile)
  const runsDir = join(dirname(resultsFile), RUNS_FOLDER)
  const ranked: string[] = []
  const failed: string[] = []
  for (const [i, model] of models.entries()) {
    print(`\n== ${i + 1}/${models.length}: MMLU_MODEL=${model}`)
    const before = new Set((await listRuns(runsDir)).map((r) => r.id))
    const started = Date.now()
    const code = await runModel(model, files)
    const kept = (await listRuns(runsDir)).filter((r) => !before.has(r.id))
    let got = kept.length > 0
    if (got) for (const r of kept) ranked.push(join(runsDir, r.id))
    else if (existsSync(resultsFile) && statSync(resultsFile).mtimeMs >= started) {
      // MMLU_KEEP_RUNS=0 keeps no run: its results file is copied aside, or the next run would overwrite it.
      const copy = join(mkdtempSync(join(os.tmpdir(), 'mmlu-eval-models-')), `${i + 1}.json`)
      copyFileSync(resultsFile, copy)
      ranked.push(copy)
      got = true
    }
    if (code !== 0 || !got) failed.push(`${model} (exit code ${code}${got ? '' : ', no results'})`)
  }
  if (ranked.length === 0) {
    print(`\nNo model answered any question: nothing to rank. ${failed.join('; ')}`)
    return 1
  }
  print(`\n== Leaderboard of these ${ranked.length} run${ranked.length === 1 ? '' : 's'} (${ranked.map((f) => shownPath(f)).join(', ')})`)
  const code = await leaderboard([...ranked, ...(values.out ? ['--out', values.out] : [])], print)
  if (failed.length) print(`\nExit code 1: ${failed.length} of ${models.length} run${models.length === 1 ? '' : 's'} failed: ${failed.join('; ')}`)
  return failed.length ? 1 : code
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
