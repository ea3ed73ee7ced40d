// What the MMLU reporter needs only once questions have been answered: the
// run's assembly and analyses, the results file, the pages, the renderers of
// the final report and the gate's verdict. The reporter imports this in the
// background as the run starts (mmlu-reporter.ts, `loadEndOfRun`), so these
// modules are not loaded, one file read at a time, before the first question.
export { writeResults, writeResultsSync } from '../src/run/results.js'
export { assembleRun, questionSpanMs, resultsFileOf } from '../src/run/assemble.js'
export { compareSpeed, measureRun } from '../src/study/measure.js'
export { summarizeServers } from '../src/run/servers-report.js'
export { evaluateGate } from '../src/gate/index.js'
export { keepInterruptedRun, writeRunPages } from './run-pages.js'
export { renderAnalysisLines } from './render/analysis.js'
export { questionTitles, reportLinks, vitestHtmlReportFile } from './render/html.js'
export { renderGate } from './render/gate.js'
export { renderMarkdownSummary } from './render/markdown.js'
export { renderParallel, renderSpeedup } from './render/parallel.js'
export { renderServers } from './render/servers.js'
export { renderCacheWriteErrors, renderExitReasons, renderHeader, renderSubjectTable, renderTotals } from './render/terminal.js'
export { renderVariantTables } from './render/variants.js'
