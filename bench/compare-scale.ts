// `npx tsx bench/compare-scale.ts`: `npm run compare`'s analysis and its three
// renderings on two synthetic runs of 10k and 100k questions in one subject
// (one right every 3rd question, the other every 5th: ~40% of questions flip).
// Prints the time of each step and the peak RSS: growth must stay linear.
import { compareRuns, runLabels } from '../src/analysis/compare.js'
import { renderCompareHtml, renderCompareMarkdown, renderCompareTerminal } from '../reporters/render/compare.js'
import { fakeRun } from '../test/helpers/gate-runs.js'

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
for (const n of [10_000, 100_000]) {
  const run = (every: number) => fakeRun({ astronomy: { outcomes: Array.from({ length: n }, (_, i) => (i % every === 0 ? 'correct' : 'wrong')) } })
  const runs = [run(3), run(5)].map((results, i) => ({ file: `run${i}.json`, results }))
  const labels = runLabels(runs)
  const t0 = performance.now()
  const c = compareRuns(runs.map((r, i) => ({ ...r, label: labels[i]! })))
  const t1 = performance.now()
  renderCompareTerminal(c, undefined)
  const t2 = performance.now()
  renderCompareMarkdown(c, undefined)
  const t3 = performance.now()
  await renderCompareHtml(c, undefined)
  const t4 = performance.now()
  const flips = c.pairs.reduce((s, p) => s + (p.kind === 'compared' ? p.flips.length : 0), 0)
  console.log(`${n} questions, ${flips} flips: compare ${seconds(t1 - t0)} · terminal ${seconds(t2 - t1)} · Markdown ${seconds(t3 - t2)} · HTML ${seconds(t4 - t3)} · RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`)
}
