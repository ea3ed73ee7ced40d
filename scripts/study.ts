// `npm run study`: the seed's timing experiment on whatever backend the
// environment resolves (MMLU_MODEL, MMLU_BACKEND, OLLAMA_HOST, …): the
// sequential and files profiles R times each, then a sweep of in-file
// concurrency; writes study.md, study.html and study.json. See
// src/study/settings.ts for the flags (`npm run study -- --help`).
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { GateConfigError } from '../src/base/file-errors.js'
import { OptionsError, readOptions } from '../src/config/options.js'
import { loadStudy, runStudy, serverList, studySummary, StudyError } from '../src/study/runner.js'
import { parseStudyArgs, STUDY_USAGE } from '../src/study/settings.js'
import { renderStudyHtml, renderStudyMarkdown } from '../reporters/render/study.js'
import { isSimulatedRun, SIMULATED_NOTE } from '../src/base/simulated.js'
import { writeFileAtomic } from '../src/run/atomic-write.js'

async function main(): Promise<number> {
  const argv = process.argv.slice(2)
  const settings = parseStudyArgs(argv)
  if (settings === 'help') {
    console.log(STUDY_USAGE)
    return 0
  }
  const out = resolve(settings.outDir)
  await mkdir(out, { recursive: true })
  let study
  if (settings.render) study = await loadStudy(out)
  else {
    const servers = serverList(readOptions()).entries.length
    const runs = settings.repeats * (servers > 1 ? 3 : 2) + settings.sweep.filter((c) => c > 1 || settings.repeats === 0).length
    const several = servers > 1 ? `, ${servers} servers × ${settings.repeats} (the others on the first alone)` : ''
    console.log(`Study      ${settings.subjects.join(', ')} · sequential × ${settings.repeats}, files (${settings.workers} workers) × ${settings.repeats}${several}, in-file concurrency ${settings.sweep.join(', ') || 'none'} · ${runs} timed runs`)
    study = await runStudy(settings, argv, (line) => console.log(`  ${line}`))
  }
  await writeFileAtomic(join(out, 'study.json'), `${JSON.stringify(studySummary(study, out), null, 1)}\n`)
  await writeFileAtomic(join(out, 'study.md'), renderStudyMarkdown(study, out))
  await writeFileAtomic(join(out, 'study.html'), await renderStudyHtml(study, out))
  const a = study.analysis
  console.log('')
  if (study.runs.some((r) => isSimulatedRun(r.results))) console.log(`Note       ${SIMULATED_NOTE}`)
  if (a.speedup !== undefined) console.log(`Speedup    ${a.speedup.toFixed(2)}× (files in parallel vs sequential) · latency inflation ${a.latencyInflation!.toFixed(2)}×`)
  if (a.servers) console.log(`Servers    ${a.servers.count} servers ${a.servers.throughput.toFixed(2)} q/s · ${a.serversGain!.toFixed(2)}× the first alone · latency ${a.serversLatencyInflation!.toFixed(2)}×`)
  for (const p of a.sweep) console.log(`Sweep      concurrency ${String(p.concurrency).padEnd(3)} ${p.throughput.toFixed(2)} q/s · ${p.gain.toFixed(2)}× · latency ${p.latencyInflation.toFixed(2)}×`)
  console.log('')
  for (const p of study.explanation) console.log(`${p}\n`)
  console.log(`Report     ${join(out, 'study.md')} · ${join(out, 'study.html')} · ${join(out, 'study.json')}`)
  return 0
}

main().then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    // Our errors say what and how to fix; anything else gets its stack.
    console.error(e instanceof OptionsError || e instanceof StudyError || e instanceof GateConfigError ? `${e.name}: ${e.message}` : (e.stack ?? String(e)))
    process.exitCode = 1
  },
)
