// The MMLU reporter. It only reads what the tests recorded on their meta:
// it never calls a backend or reads the dataset.
// - Wrong answers are the measurement, not bugs: no stack traces or diffs.
// - Real errors (exceptions, timeouts, broken data) are printed in full.
// - It writes the results JSON and decides the exit code: 1 on errors, an
//   interrupted run or a failed gate (src/gate: thresholds, baseline), 0
//   otherwise, whatever the accuracy.
// Runs without MMLU subjects (the project's own tests) are handed to Vitest's
// default reporter untouched.
import '../src/base/source-maps.js'
import { appendFile, mkdir, open, rm, stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'
import type { SerializedError } from 'vitest'
import type { Reporter, TestCase, TestModule, TestRunEndReason, TestSpecification, Vitest } from 'vitest/node'
import { DefaultReporter } from 'vitest/node'
import { isSubject, SUBJECTS, subjectFilterHints, subjectOfFile } from '../src/dataset/subjects.js'
import type { GateSettings } from '../src/gate/index.js'
import type { Options } from '../src/config/options.js'
import { currentSettings, OptionsError, readOptions, settingsSourcesLine } from '../src/config/options.js'
import type { SettingsFiles } from '../src/config/settings-files.js'
import type { QuestionRecord, ResultsFile, SubjectRun } from '../src/run/results.js'
import type { RunnerFacts } from '../src/run/assemble.js'
import type { SpeedupBaseline } from '../src/study/speedup-baseline.js'
import type { SubjectSummary } from '../src/run/summary.js'
import { summarizeSubject } from '../src/run/summary.js'
import { exitOnUserError, formatUserError, isUserError } from '../src/base/user-error.js'
import { plannedAsks } from '../src/prompt/variants.js'
import { RunProgress } from './progress.js'
import { printable } from './render/escape.js'
import { preloadCharts } from './render/page.js'
import { renderSubjectFailure, renderSubjectLine } from './render/terminal.js'
import { shownPath } from '../src/run/shown-path.js'

type EndOfRun = typeof import('./end-of-run.js')

export const MMLU_PROJECT = 'mmlu'

interface SubjectResult {
  module: TestModule
  run: SubjectRun | undefined
  records: QuestionRecord[]
  /** Errors of the file or its suites (bad data, failed model load): nothing was asked. */
  setupErrors: ReadonlyArray<SerializedError>
}

function isMmluModule(m: TestModule): boolean {
  return m.project.name === MMLU_PROJECT
}

function collect(module: TestModule): SubjectResult {
  let run: SubjectRun | undefined
  for (const suite of module.children.allSuites()) run ??= suite.meta().mmluSubject
  const records: QuestionRecord[] = []
  for (const test of module.children.allTests()) {
    const record = test.meta().mmlu
    if (record) records.push(record)
  }
  const setupErrors = [...module.errors(), ...[...module.children.allSuites()].flatMap((s) => s.errors())]
  return { module, run, records, setupErrors }
}


function subjectName(r: SubjectResult): string {
  return r.run?.subject ?? r.records[0]?.subject ?? subjectOfFile(r.module.moduleId)
}

/** Questions the file holds: its collected tests (a dead worker leaves some unrun). */
function plannedQuestions(m: TestModule): number {
  let n = 0
  for (const _ of m.children.allTests()) n++
  return n
}

function subjectSummary(r: SubjectResult): SubjectSummary {
  return summarizeSubject(subjectName(r), r.records, r.module.diagnostic().duration, {
    planned: plannedQuestions(r.module),
    ...(r.run ? { shots: r.run.shots, cacheIgnored: r.run.cacheIgnored ?? {}, category: r.run.category } : {}),
    ...(r.run?.population !== undefined ? { population: r.run.population } : {}),
  })
}

/** A subject file that was planned but never reported back (its worker died first). */
function notRunSummary(subject: string, options: Options): SubjectSummary {
  const canonical = isSubject(subject) ? SUBJECTS[subject].testCount : undefined
  return summarizeSubject(subject, [], 0, canonical === undefined ? {} : { planned: plannedAsks(canonical, options) })
}

/** Errors with the same message, once each, with where they happened. */
function groupByMessage<T>(items: readonly T[], message: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const t of items) {
    const key = message(t)
    const list = groups.get(key)
    if (list) list.push(t)
    else groups.set(key, [t])
  }
  return groups
}

const listed = (names: readonly string[], max = 6) => (names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`)

export default class MmluReporter implements Reporter {
  private ctx!: Vitest
  private readonly fallback = new DefaultReporter()
  private mmlu = false
  private startedAt = 0
  /** Records in arrival order, kept so an interrupted run can still save them. */
  private answered: QuestionRecord[] = []
  private running = false
  private progress!: RunProgress
  private gate: GateSettings | undefined
  /** MMLU_SPEEDUP_BASELINE, read before the run like the gate's files. */
  private speedupBaseline: SpeedupBaseline | undefined
  /** The subject files this run was to execute, so one that never reports back is listed as not run. */
  private planned: { moduleId: string; subject: string }[] = []
  /** Read when Vitest starts and again as each run starts (watch mode may have changed a settings file); passed down from here. */
  private options!: Options
  /** The end-of-run modules, once loaded (the synchronous interrupt path needs them at hand). */
  private end: EndOfRun | undefined
  private endLoading: Promise<EndOfRun> | undefined
  /** The settings files as read at this run's start, handed to the workers. */
  private settingsFiles: SettingsFiles | undefined

  onInit(ctx: Vitest): void {
    this.ctx = ctx
    this.fallback.onInit(ctx)
    // The mmlu project's plugin has checked the settings already; a run of other projects has not.
    let options: Options
    try {
      options = readOptions()
    } catch (e) {
      exitOnUserError(e, (text) => ctx.logger.error(text.trim()))
    }
    this.options = options
    this.progress = new RunProgress(ctx, options.progressMs, (canonical) => plannedAsks(canonical, options))
    // On SIGINT/SIGTERM Vitest exits without onTestRunEnd; its terminal cleanup
    // runs synchronously first, so that is where answered questions are saved.
    ctx.logger.onTerminalCleanup(() => this.saveInterrupted())
    // Vitest's own handler exits 128 + the signal only when no exit code is set yet. Ctrl-C reaches
    // the whole process group: a worker can die of it and be reported (exit code 1) before this
    // process handles its own SIGINT. An interrupted run ends as interrupted: 130, or 143 for SIGTERM.
    process.once('SIGINT', () => (process.exitCode = 130))
    process.once('SIGTERM', () => (process.exitCode = 143))
  }

  async onTestRunStart(specs: ReadonlyArray<TestSpecification>): Promise<void> {
    this.checkFilters(specs)
    let subjects = specs.filter((s) => s.project.name === MMLU_PROJECT)
    // Vitest shards after this hook (in its pool), with its sequencer: the same call gives this shard's files.
    if (this.ctx.config.shard && subjects.length) subjects = await new this.ctx.config.sequence.sequencer(this.ctx).shard(subjects)
    this.mmlu = subjects.length > 0
    this.planned = subjects.map((s) => ({ moduleId: s.moduleId, subject: subjectOfFile(s.moduleId) }))
    // A bad thresholds or baseline file, or a results folder that cannot be
    // written, stops the run here, before any question: one message, exit 1.
    if (this.mmlu) {
      try {
        const settings = currentSettings()
        this.options = readOptions(settings.env, settings.sources)
        this.settingsFiles = settings.files
        await this.prepare()
      } catch (e) {
        exitOnUserError(e, (text) => this.ctx.logger.error(text.trim()))
      }
    }
    this.startedAt = performance.now()
    this.answered = []
    this.running = this.mmlu
    if (!this.mmlu) return this.fallback.onTestRunStart(specs)
    // Each worker's llama.cpp gets physical cores ÷ this many threads.
    this.ctx.provide('mmluWorkers', this.workersUsed(subjects.length))
    this.ctx.provide('mmluAnnotations', this.annotationsShown())
    this.ctx.provide('mmluSubjectsInRun', this.planned.some((p) => isSubject(p.subject)))
    this.ctx.provide('mmluSettingsFiles', this.settingsFiles)
    this.progress.start(subjects)
    // While the worker starts: the first answer is some 0.2 s away, the last further.
    this.loadEndOfRun()
  }

  /** Starts loading the end-of-run modules once; later calls get the same promise. */
  private loadEndOfRun(): Promise<EndOfRun> {
    if (!this.endLoading) {
      this.endLoading = import('./end-of-run.js').then((m) => (this.end = m))
      // Awaited at the run's end; an interrupt may come first, and a failure is reported there.
      this.endLoading.catch(() => {})
    }
    return this.endLoading
  }

  /** Reads the gate's and the speedup baseline's files and checks that the results can be written. */
  private async prepare(): Promise<void> {
    const options = this.options
    // A shard has only some subjects: its gate runs after --merge-reports.
    const gated = !this.ctx.config.shard && (options.thresholdsFile || options.baselineFile)
    this.gate = gated ? await (await import('../src/gate/index.js')).loadGate(options, this.ctx.config.root, options.thresholdsFile ? await this.topicNames() : []) : undefined
    this.speedupBaseline = options.speedupBaselineFile ? await (await import('../src/study/speedup-baseline.js')).loadSpeedupBaseline(options.speedupBaselineFile, this.ctx.config.root) : undefined
    await checkWritable(resolve(this.ctx.config.root, options.resultsFile))
  }

  /** The names of the project's own question sets: topic files that are not MMLU subjects. */
  private async topicNames(): Promise<string[]> {
    const project = this.ctx.projects.find((p) => p.name === MMLU_PROJECT)
    const files = project ? (await project.globTestFiles()).testFiles : []
    return files.map(subjectOfFile).filter((name) => !isSubject(name))
  }

  /**
   * Whether anything besides this reporter shows test annotations: the UI or
   * another reporter (html, junit, …). Each annotation costs a round trip to
   * this process, and this reporter reads the records on the meta instead.
   */
  private annotationsShown(): boolean {
    const ours = (entry: unknown): boolean => entry instanceof MmluReporter || (typeof entry === 'string' && /mmlu-reporter(\.ts)?$/.test(entry))
    return this.ctx.config.ui || this.ctx.config.reporters.some((entry) => !ours(Array.isArray(entry) ? entry[0] : entry))
  }

  /**
   * The pool size Vitest will use for the mmlu project, resolved as its pool
   * does (resolveMaxWorkers): the project's setting, the root's, else
   * CPUs − 1 (run) or CPUs ÷ 2 (watch). `fileParallelism: false` resolves to 1.
   */
  private maxWorkers(): number {
    const own = this.ctx.projects.find((p) => p.name === MMLU_PROJECT)?.config.maxWorkers
    if (own) return own
    if (this.ctx.config.maxWorkers) return this.ctx.config.maxWorkers
    const cpus = availableParallelism()
    return this.ctx.config.watch ? Math.max(Math.floor(cpus / 2), 1) : Math.max(cpus - 1, 1)
  }

  private workersUsed(files: number): number {
    return Math.max(1, Math.min(this.maxWorkers(), files))
  }

  onTestModuleQueued(m: TestModule): void {
    if (!this.mmlu) this.fallback.onTestModuleQueued(m)
  }
  onTestModuleCollected(m: TestModule): void {
    if (!this.mmlu) this.fallback.onTestModuleCollected(m)
    else if (isMmluModule(m)) this.progress.collected(m)
  }
  onTestCaseReady(t: TestCase): void {
    if (!this.mmlu) this.fallback.onTestCaseReady(t)
  }
  onTestCaseResult(t: TestCase): void {
    if (!this.mmlu) return this.fallback.onTestCaseResult(t)
    this.progress.answered(t)
    const record = t.meta().mmlu
    if (!record) return
    // The first answer means a page will be written after the last: echarts loads meanwhile, not after.
    if (this.answered.length === 0) preloadCharts()
    this.answered.push(record)
  }
  onUserConsoleLog(log: Parameters<DefaultReporter['onUserConsoleLog']>[0]): void {
    if (!this.mmlu) this.fallback.onUserConsoleLog(log)
  }
  onTestModuleEnd(m: TestModule): void {
    if (!this.mmlu) return this.fallback.onTestModuleEnd(m)
    if (!isMmluModule(m)) {
      this.ctx.logger.log(`${m.ok() ? '✓' : '✗'} ${m.relativeModuleId}`)
      return
    }
    this.progress.finished(m)
    const r = collect(m)
    const failure = r.setupErrors[0]
    if (failure && r.records.length === 0) {
      // A user error (bad data, no model) is printed once at the end, for every file it stopped.
      if (!isUserError(failure)) this.ctx.logger.log(renderSubjectFailure(subjectName(r), failure.name ?? 'Error'))
      return
    }
    this.ctx.logger.log(renderSubjectLine(subjectSummary(r)))
  }

  async onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): Promise<void> {
    if (!this.mmlu) {
      return this.fallback.onTestRunEnd(modules, unhandledErrors, reason)
    }
    // Vitest set exitCode = 1 for the failed tests (wrong answers) before this hook;
    // the reporter decides below. A code set while the hook runs stands: an error
    // Vitest caught meanwhile, such as another reporter's crash.
    process.exitCode = 0
    this.running = false
    this.progress.stop()
    const end = await this.loadEndOfRun()
    const { assembleRun, compareSpeed, measureRun, questionSpanMs, renderAnalysisLines, renderCacheWriteErrors, renderExitReasons, renderHeader, renderParallel, renderServers, renderSpeedup, renderSubjectTable, renderTotals, renderVariantTables } = end
    const { questionTitles, reportLinks, resultsFileOf, summarizeServers, vitestHtmlReportFile, writeResults, writeRunPages } = end
    const log = this.ctx.logger
    const options = this.options
    const results = modules.filter(isMmluModule).map(collect)
    const reported = new Set(results.map((r) => r.module.moduleId))
    const subjects: SubjectSummary[] = [
      ...results.map(subjectSummary),
      ...this.planned.filter((p) => !reported.has(p.moduleId)).map((p) => notRunSummary(p.subject, options)),
    ]
    const records = results.flatMap((r) => r.records)
    // A merge replays finished shards in milliseconds: their questions' own span is the run's wall time.
    const wallMs = this.ctx.config.mergeReports ? questionSpanMs(records) : performance.now() - this.startedAt
    const runs = results.map((r) => r.run).filter((x): x is SubjectRun => x !== undefined)
    const assembled = assembleRun({ options, runner: this.runnerFacts(results.length), runs, subjects, records, wallMs })
    const { config, engines, summary: run, analysis, givenUp, cacheWriteErrors } = assembled
    const servers = summarizeServers(records)

    const problems = this.printProblems(modules, records, unhandledErrors)
    const asked = run.questions > 0
    if (asked || run.notAsked > 0) {
      log.log('')
      log.log(renderHeader(config, engines, run))
      // Where each setting that is not a default came from (the environment, .env.local, .env).
      const sources = settingsSourcesLine()
      if (sources) log.log(`      ${sources}`)
      log.log('')
      log.log(renderSubjectTable(subjects))
      for (const t of renderVariantTables(subjects, run)) log.log(`\n${t}`)
      log.log('')
      log.log(renderTotals(run, config))
      if (servers.length > 1) log.log(renderServers(servers, givenUp))
      for (const w of runs.flatMap((r) => r.warnings ?? [])) log.error(`Warning    ${w}`)
      if (cacheWriteErrors.length) log.error(renderCacheWriteErrors(cacheWriteErrors))
      for (const line of renderAnalysisLines(analysis)) log.log(line)
      // Parallel runs: each file's own time beside the run's; against a sequential baseline, the real speedup.
      const measure = measureRun({ records, config, summary: run, provenance: engines })
      if (run.timed > 0 && (config.vitest.workersUsed > 1 || config.concurrency > 1)) log.log(renderParallel(measure, run.wallMs))
      if (this.speedupBaseline && run.timed > 0) log.log(renderSpeedup(compareSpeed(this.speedupBaseline.measure, measure), this.speedupBaseline.file))
    }

    const exitReasons = renderExitReasons(run, problems, reason === 'interrupted')
    const failed = exitReasons.length > 0
    const status = reason === 'interrupted' ? 'interrupted' : failed ? 'failed' : 'passed'
    const file = resolve(this.ctx.config.root, options.resultsFile)
    const out = resultsFileOf(assembled, status)
    if (records.length > 0) {
      await writeResults(file, out)
      log.log(`Results    ${shownPath(file)}`)
      const vitestReport = vitestHtmlReportFile(this.ctx)
      const links = vitestReport ? reportLinks(modules, vitestReport, file) : undefined
      for (const line of await writeRunPages(file, out, { ...(links ? { links } : {}), titles: questionTitles(modules), keepRuns: options.keepRuns, keep: !this.ctx.config.shard })) log.log(line)
    } else {
      // A run that could not start must not replace the last good results with an empty file.
      log.error(`\nResults    not written: no question was answered, so ${shownPath(file)} and its summary page keep the last run's.`)
    }
    if (failed) log.error(`\nExit code 1: ${exitReasons.join('; ')}. Wrong answers alone never fail the run.`)
    const gate = records.length > 0 ? await this.applyGate(end, out) : { failed: false }
    process.exitCode = failed || gate.failed || process.exitCode ? 1 : 0
  }

  /**
   * Real errors, each message once, with where it happened: broken files,
   * failed set-up, engine failures, questions not asked, other projects'
   * failures. Ours (user errors) without a stack; anything else in full.
   * Returns how many problems besides the question errors the summary counts.
   */
  private printProblems(modules: ReadonlyArray<TestModule>, records: readonly QuestionRecord[], unhandledErrors: ReadonlyArray<SerializedError>): number {
    const log = this.ctx.logger
    let problems = 0
    const setup: { where: string; error: SerializedError; module: TestModule }[] = []
    for (const m of modules) {
      for (const error of m.errors()) setup.push({ where: subjectOfFile(m.moduleId), error, module: m })
      for (const s of m.children.allSuites()) for (const error of s.errors()) setup.push({ where: isMmluModule(m) ? subjectOfFile(m.moduleId) : `${m.relativeModuleId} › ${s.fullName}`, error, module: m })
    }
    problems += setup.length
    for (const [, group] of groupByMessage(setup, (x) => (isUserError(x.error) ? x.error.message : `${x.where}\0${x.error.message}`))) {
      const first = group[0]!
      if (isUserError(first.error)) {
        log.error(`\n${formatUserError(first.error)}`)
        log.error(`  (${group.length === 1 ? first.where : `${group.length} subject files: ${listed(group.map((g) => g.where))}`})`)
      } else {
        log.error(`\n✗ ${first.where}`)
        log.printError(first.error, { project: first.module.project })
      }
    }
    // Failures of tests that are not questions (unit tests in the same run).
    for (const m of modules) {
      for (const test of m.children.allTests()) {
        if (test.result().state !== 'failed' || test.meta().mmlu) continue
        problems++
        log.error(`\n✗ ${m.relativeModuleId} › ${test.fullName}`)
        for (const err of test.result().errors ?? []) this.printError(err, m)
      }
    }
    // Question errors and questions not asked: each distinct message once (question numbers aside).
    const failing = records.filter((r) => r.outcome === 'error' || r.outcome === 'not-asked')
    for (const [, group] of groupByMessage(failing, (r) => `${r.outcome}\0${(r.error ?? '').replace(/#\d+/g, '#…')}`)) {
      const first = group[0]!
      const where = listed([...new Set(group.map((r) => r.subject))])
      const what = first.outcome === 'not-asked' ? `${group.length} question${group.length === 1 ? '' : 's'} not asked` : `${group.length} question${group.length === 1 ? '' : 's'} failed`
      // What a server said is data: shown, never obeyed.
      log.error(`\n✗ ${what} (${printable(where)}): ${printable(first.error ?? '')}`)
    }
    for (const err of unhandledErrors) {
      problems++
      log.printError(err, { type: 'Unhandled Error' })
    }
    return problems
  }

  /** Thresholds and baseline verdicts, printed and added to the GitHub job summary. */
  private async applyGate({ evaluateGate, renderGate, renderMarkdownSummary }: EndOfRun, out: ResultsFile): Promise<{ failed: boolean }> {
    const log = this.ctx.logger
    const options = this.options
    const verdict = this.gate && evaluateGate(this.gate, out)
    if (verdict) log.log(`\n${renderGate(verdict, options.flipsShown)}`)
    else if (this.ctx.config.shard && (options.thresholdsFile || options.baselineFile)) log.log('Gate       not checked in a shard: it runs on --merge-reports, over every subject.')
    if (options.stepSummaryFile) {
      const note = this.ctx.config.shard ? `Shard ${this.ctx.config.shard.index}/${this.ctx.config.shard.count}: the gate runs on the merged report.` : undefined
      await appendFile(options.stepSummaryFile, renderMarkdownSummary(out, verdict, { flipsShown: options.flipsShown, ...(note ? { note } : {}) })).then(
        () => log.log(`Job summary appended to ${options.stepSummaryFile} (GITHUB_STEP_SUMMARY)`),
        (e: Error) => log.error(`GITHUB_STEP_SUMMARY=${options.stepSummaryFile}: the Markdown summary could not be written (${e.message}).`),
      )
    }
    if (verdict?.failed) log.error(`\nExit code 1: the gate failed: ${printable(verdict.reasons.join('; '))}.`)
    return { failed: verdict?.failed ?? false }
  }

  /**
   * `evals/astronmy matches no subject file: did you mean evals/astronomy?`: a filter that
   * matches no file stops the run before any question, exit 1, whether or not another filter
   * matched (a CI job must not silently drop a subject), and before Vitest's own "No test files
   * found" listing. In watch mode (the UI) the filter can be changed, so it is only said.
   */
  private checkFilters(specs: ReadonlyArray<TestSpecification>): void {
    // The CLI's file filters: Vitest keeps them on `filenamePattern` (set by start(filters)), not in its public types.
    const filters = (this.ctx as unknown as { filenamePattern?: string[] }).filenamePattern ?? []
    if (!filters.length) return
    const found = specs.map((s) => relative(s.project.config.root, s.moduleId).split(sep).join('/'))
    const hints = subjectFilterHints(filters, found)
    if (!hints.length) return
    this.ctx.logger.error(`\n${hints.map((h) => formatUserError({ message: h })).join('\n')}\n`)
    if (!this.ctx.config.watch) process.exit(1)
  }

  /** Synchronous on purpose: the process exits right after the cleanup listeners. */
  private saveInterrupted(): void {
    if (!this.running) return
    this.running = false
    // Nothing answered yet: the last run's results stay (a run that did not start replaces nothing).
    if (this.answered.length === 0) {
      process.stderr.write(`\nInterrupted before any question was answered: ${this.options.resultsFile} keeps the last run's results.\n`)
      return
    }
    // Loading since the run started, the first answer some 0.2 s later: only a machine
    // stalled in between gets here. The answer cache has them (unless MMLU_CACHE=off).
    if (!this.end) {
      const cached = this.options.cache === 'off' ? 'MMLU_CACHE=off: they are not cached either' : 'they are in the answer cache, and the next run of the same inputs reuses them'
      process.stderr.write(`\nInterrupted while the reporter was still loading its end-of-run code: ${this.answered.length} answered question${this.answered.length === 1 ? '' : 's'} not written to ${this.options.resultsFile}; ${cached}.\n`)
      return
    }
    const { assembleRun, keepInterruptedRun, resultsFileOf, writeResultsSync } = this.end
    const bySubject = new Map<string, QuestionRecord[]>()
    for (const r of this.answered) {
      const list = bySubject.get(r.subject)
      if (list) list.push(r)
      else bySubject.set(r.subject, [r])
    }
    const subjects = [...bySubject].map(([subject, records]) => summarizeSubject(subject, records, 0))
    const options = this.options
    const file = resolve(this.ctx.config.root, options.resultsFile)
    const assembled = assembleRun({ options, runner: this.runnerFacts(bySubject.size), runs: [], subjects, records: this.answered, wallMs: performance.now() - this.startedAt })
    const out = resultsFileOf(assembled, 'interrupted')
    writeResultsSync(file, out)
    process.stderr.write(`\nInterrupted: ${this.answered.length} answered questions saved to ${shownPath(file)}\n`)
    for (const line of keepInterruptedRun(file, out, options.keepRuns)) process.stderr.write(`${line}\n`)
  }

  private printError(err: SerializedError, m: TestModule): void {
    if (isUserError(err)) this.ctx.logger.error(formatUserError(err))
    else this.ctx.logger.printError(err, { project: m.project })
  }

  private runnerFacts(files: number): RunnerFacts {
    return { maxWorkers: this.maxWorkers(), workersUsed: this.workersUsed(files) }
  }
}

/**
 * Fails with a GateConfigError-like user error when the results file cannot
 * be written, before the first question rather than after the last.
 */
async function checkWritable(file: string): Promise<void> {
  const probe = `${file}.${process.pid}.probe`
  // A folder passes the probe beside it, then fails the final rename (EISDIR) after the last question.
  if ((await stat(file).catch(() => undefined))?.isDirectory()) {
    throw new OptionsError(`MMLU_RESULTS=${file} is a folder, not a file. Fix: name the file (MMLU_RESULTS=${join(file, 'mmlu-results.json')}), or end the folder with / to write mmlu-results.json in it.`)
  }
  try {
    await mkdir(dirname(file), { recursive: true })
    await (await open(probe, 'w')).close()
    await rm(probe, { force: true })
  } catch (e) {
    throw new OptionsError(`MMLU_RESULTS=${file}: the results cannot be written there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Fix: point MMLU_RESULTS at a file in a folder you can write to.`)
  }
}
