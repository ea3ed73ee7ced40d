// `npm run baseline:accept`: makes a finished run the baseline that later runs
// are compared with (MMLU_BASELINE). Usage:
//   MMLU_BASELINE=baselines/mmlu.json npm run baseline:accept [-- --from <results.json>] [--to <baseline.json>] [--force]
// --from defaults to MMLU_RESULTS (reports/mmlu-results.json), --to to MMLU_BASELINE.
import { parseArgs } from 'node:util'
import { acceptBaseline, describeAccepted } from '../src/gate/accept.js'
import { GateConfigError } from '../src/base/file-errors.js'
import { OptionsError, readOptions } from '../src/config/options.js'

const USAGE = 'Usage: MMLU_BASELINE=<baseline.json> npm run baseline:accept [-- --from <results.json>] [--to <baseline.json>] [--force]'

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { from: { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
    strict: true,
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const options = readOptions()
  const to = values.to ?? options.baselineFile
  if (!to) {
    console.error(`No baseline path: set MMLU_BASELINE or pass --to <baseline.json>.\n${USAGE}`)
    return 1
  }
  const accepted = await acceptBaseline({ from: values.from ?? options.resultsFile, to, force: values.force })
  console.log(describeAccepted(accepted))
  return 0
}

main().then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    // Our errors say where and how to fix; anything else (a bad flag) gets the usage too.
    console.error(e instanceof GateConfigError || e instanceof OptionsError ? `${e.name}: ${e.message}` : `${e.message}\n${USAGE}`)
    process.exitCode = 1
  },
)
