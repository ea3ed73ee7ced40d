// `npx tsx bench/after-last-question.ts [asks]`: what a run does after its last
// question, on a synthetic run (default 14,042 asks, MMLU's count; test/helpers/
// synthetic-run.ts) with a title per question: the results JSON, the summary
// page, and the run kept in the history with its own copy of both, into a fresh
// folder, as the reporter does it. Prints that phase's wall and CPU time, and
// echarts' load apart: where the reporter starts it with the first answer
// (preloadCharts) it is loaded during the run, not after it. One process, one
// measurement: run it several times, interleaved with the code it is compared with.
import { mkdtemp, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as page from '../reporters/render/page.js'
import { writeRunPages } from '../reporters/run-pages.js'
import { writeResults } from '../src/run/results.js'
import { syntheticRun } from '../test/helpers/synthetic-run.js'

const asks = Number(process.argv[2] ?? 14_042)
const run = syntheticRun(asks)
const titles = new Map(run.records.map((r) => [`${r.subject}#${r.index}`, `Which of these is true of question ${r.index} in ${r.subject}?`.padEnd(60, '.')]))
const dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-bench-after-'))
try {
  let preload = 'not preloaded: loaded after the last question, inside the phase'
  if ('preloadCharts' in page) {
    const t = performance.now()
    await page.chartRenderer()
    preload = `preloaded during the run: ${((performance.now() - t) / 1000).toFixed(2)} s`
  }
  const file = path.join(dir, 'mmlu-results.json')
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  await writeResults(file, run)
  const lines = await writeRunPages(file, run, { titles, keepRuns: undefined, keep: true })
  const wall = performance.now() - t0
  const used = process.cpuUsage(cpu)
  if (lines.some((l) => l.includes('not'))) throw new Error(lines.join('\n'))
  const bytes = (await stat(path.join(dir, 'index.html'))).size
  console.log(
    `${asks} asks: after the last question ${(wall / 1000).toFixed(2)} s wall, ${((used.user + used.system) / 1e6).toFixed(2)} s CPU · page ${(bytes / 1e6).toFixed(1)} MB · echarts ${preload} · load ${os.loadavg()[0]!.toFixed(1)}`,
  )
} finally {
  await rm(dir, { recursive: true, force: true })
}
