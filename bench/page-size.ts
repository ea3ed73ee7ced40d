// `npx tsx bench/page-size.ts`: the summary page's size for a synthetic run of
// 140,420 asks (MMLU_TRIALS=10's count over the 57 subjects; test/helpers/
// synthetic-run.ts), each question with a 60-character title as the reporter
// passes them, and for 14,042 asks (MMLU's count). Past 10,000 asks the question
// table is paged (reporters/render/question-pages.ts): the page holds the rows
// once as JSON instead of a chip and a table row per ask.
import { renderSummaryPage } from '../reporters/render/html.js'
import { syntheticRun } from '../test/helpers/synthetic-run.js'

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`
for (const [asks, trials] of [
  [14_042, 1],
  [140_420, 10],
] as const) {
  const run = syntheticRun(asks, { trials })
  const titles = new Map(run.records.map((r) => [`${r.subject}#${r.index}`, `Which of these is true of question ${r.index} in ${r.subject}?`.padEnd(60, '.')]))
  const t0 = performance.now()
  const page = await renderSummaryPage(run, undefined, 'mmlu-results.json', { titles })
  const t1 = performance.now()
  console.log(`${asks} asks: results JSON ${mb(Buffer.byteLength(JSON.stringify(run, null, 1)))} · page ${mb(Buffer.byteLength(page))} · rendered in ${((t1 - t0) / 1000).toFixed(2)} s`)
}
