// `defineSubject(subject)`: the Vitest glue, and the only module that imports
// Vitest's test API. It wires the flow for one subject file:
//   dataset → prompts (fitted to the context) → one engine session → one test
//   per question → a QuestionRecord on each test's meta.
// Wrong answers are failed assertions (expected vs given); engine failures and
// timeouts are errors, recorded apart so the reporter never confuses the two.
import { availableParallelism } from 'node:os'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import type { Engine, Session } from './backends/index.js'
import { EngineError, NotAskedError, openEngine, questionTimeLimitMs } from './backends/index.js'
import { scrub, secretsOf } from './backends/server.js'
import type { Question } from './dataset/question.js'
import { LETTERS } from './dataset/question.js'
import { checkShots, loadSubject } from './dataset/load.js'
import type { TopicFile, TopicSpec } from './dataset/topic.js'
import { checkTopicSpec, DEFAULT_TOPIC_CATEGORY, loadTopic } from './dataset/topic.js'
import path from 'node:path'
import { AnswerCache, answerKey, questionHash } from './scoring/answer-cache.js'
import { cacheRoot, locateDataDir } from './dataset/data-dir.js'
import { DatasetError } from './dataset/errors.js'
import { subjectInputs } from './prompt/inputs.js'
import { isSubject, SUBJECTS, subjectOfFile, subjectTitle, suggestSubjects } from './dataset/subjects.js'
import type { Options, ScoringMode } from './config/options.js'
import { currentSettings, inFlightCap, readOptions } from './config/options.js'
import type { SettingsFiles } from './config/settings-files.js'
import { PROTOCOLS } from './prompt/protocols.js'
import type { Prompt } from './prompt/prompt.js'
import { fewShot, fewShotText, formatQuestion, questionLetters } from './prompt/prompt.js'
import type { QuestionRecord, SubjectInputs, SubjectRun } from './run/results.js'
import { formatProbabilities } from './base/record.js'
import { scoreAnswer } from './scoring/scoring.js'
import type { Variant } from './prompt/variants.js'
import { hasOptionReferences } from './prompt/option-references.js'
import { askSeed, questionVariants, rotateQuestion, sampleQuestions, variantLabel } from './prompt/variants.js'
import { maxOf } from './base/extent.js'

declare module 'vitest' {
  interface TaskMeta {
    /** Set on each question's test. */
    mmlu?: QuestionRecord
    /** Set on each subject's suite. */
    mmluSubject?: SubjectRun
  }
  interface ProvidedContext {
    /** Vitest workers that run subject files at the same time (set by the reporter). */
    mmluWorkers: number
    /** Whether anything shows test annotations (the UI, another reporter); set by the reporter. */
    mmluAnnotations: boolean
    /** Whether the run has MMLU subjects (and so needs the MMLU data), not only question sets of your own; set by the reporter. */
    mmluSubjectsInRun: boolean
    /** The .env and .env.local settings the main process read (undefined: files off); set by the reporter. */
    mmluSettingsFiles: SettingsFiles | undefined
  }
}

const SETUP_TIMEOUT_MS = 30 * 60_000

/** `#12 Which planet…`; with a variant `#12 (trial 2/5, rotation +1) Which planet…`, so the UI shows which ask a test is. */
export function testName(q: Question, variant = ''): string {
  const words = q.question.replace(/\s+/g, ' ').trim()
  const short = words.length <= 60 ? words : `${words.slice(0, 60).replace(/\s+\S*$/, '')}…`
  return `#${q.index} ${variant ? `${variant} ` : ''}${short}`
}

/** One test: a question as written, which trial and rotation, and its prompt plan (trials of one rotation share one). */
interface Ask {
  question: Question
  variant: Variant
  plan: number
}

/**
 * Each prompt's plan, in arrays rather than an object per prompt: a topic of a
 * million questions keeps a few bytes per question here, and the prompt text is
 * built when the question is asked.
 */
interface PromptPlans {
  /** Few-shot examples the prompt takes; -1: it does not fit even at 0-shot. */
  shots: Int8Array
  /** Its length in tokens; -1: the engine counts none. */
  tokens: Int32Array
  /** Why a prompt that does not fit cannot be asked. */
  unfit: Map<number, string>
  /** The prompt as sent (built on demand). */
  prompt(plan: number): Prompt | undefined
}

/**
 * Fits each prompt to the model's trained context: drops few-shot examples
 * until it fits; if the question alone does not fit, the question is an error.
 */
function planPrompts(source: Pick<QuestionSource, 'name' | 'title'>, dev: readonly Question[], questions: readonly Question[], shots: number, engine: Engine, reserve: number): PromptPlans {
  const shotsOf = Array.from({ length: shots + 1 }, (_, k) => fewShot(source.name, dev, k, source.title))
  const prefixes = shotsOf.map(fewShotText)
  const limit = engine.trainedContextTokens
  const count = engine.countTokens
  // The examples go with the prompt, so a chat engine can send them as turns (prompt.ts chatMessages).
  const at = (q: Question, k: number): Prompt => ({ prefix: prefixes[k] as string, suffix: formatQuestion(q), shots: k, fewShot: shotsOf[k]!, ...questionLetters(q) })
  const plans: PromptPlans = {
    shots: new Int8Array(questions.length).fill(shots),
    tokens: new Int32Array(questions.length).fill(-1),
    unfit: new Map(),
    prompt: (i) => (plans.shots[i]! < 0 ? undefined : at(questions[i]!, plans.shots[i]!)),
  }
  if (!count || !limit) return plans
  questions.forEach((question, i) => {
    for (let k = shots; k >= 0; k--) {
      const n = count(at(question, k))
      plans.tokens[i] = n
      if (n + reserve <= limit) {
        plans.shots[i] = k
        return
      }
    }
    plans.shots[i] = -1
    plans.unfit.set(i, `the question alone is ${plans.tokens[i]} tokens, more than the model's context of ${limit} (less ${reserve} for the answer)`)
  })
  return plans
}

/** The subject's inputs as the results file records them, with what only the suite knows (why the shots differ, a topic's files) after the hashes. */
function recordedInputs(inputs: SubjectInputs, known: Pick<SubjectInputs, 'shotsNote' | 'files'>): SubjectInputs {
  const { shots, promptHash, dataFingerprint, ...asked } = inputs
  return { shots, promptHash, dataFingerprint, ...(known.shotsNote ? { shotsNote: known.shotsNote } : {}), ...(known.files ? { files: known.files } : {}), ...asked }
}

/** A topic's name is its file's name, so thresholds, results and the cache all find it by one name. */
function checkTopicFile(name: string, file: string): void {
  const base = subjectOfFile(file)
  if (base !== name) {
    throw new DatasetError({
      code: 'unknown-subject',
      file,
      problem: `the topic is named "${name}" but its file is named "${base}"`,
      fix: `rename the file to ${name}.eval.ts, or the topic to "${base}" (thresholds, results and the answer cache find a topic by its file's name)`,
    })
  }
}

function workersSharingTheMachine(): number {
  // The reporter provides the real figure; without it, assume Vitest's default pool size.
  return inject('mmluWorkers') ?? Math.max(1, availableParallelism() - 1)
}

function errorRecord(question: Question, plans: PromptPlans, plan: number, variant: Variant, message: string, outcome: 'error' | 'not-asked' = 'error'): QuestionRecord {
  return {
    subject: question.subject,
    index: question.index,
    expected: question.answer,
    given: null,
    outcome,
    text: '',
    shots: Math.max(0, plans.shots[plan]!),
    promptTokens: Math.max(0, plans.tokens[plan]!),
    evaluatedTokens: 0,
    completionTokens: 0,
    startedAt: Date.now(),
    latencyMs: 0,
    error: message,
    ...variant,
  }
}

/** The record without the run's secrets in the text a server sent (answer, error): it is stored, cached and shown. */
function redactRecord(r: QuestionRecord, secrets: readonly string[]): QuestionRecord {
  if (secrets.length === 0) return r
  return { ...r, text: scrub(r.text, secrets), ...(r.error !== undefined ? { error: scrub(r.error, secrets) } : {}) }
}

function describeAnswer(r: QuestionRecord): string {
  const letters = r.probabilities ? LETTERS.filter((l) => l in r.probabilities!) : []
  const probs = r.probabilities ? ` · p(${letters.join(',')}) = ${formatProbabilities(letters.map((l) => r.probabilities![l]!)).join(', ')}` : ''
  const cost = ` · ${Math.round(r.latencyMs)} ms · ${r.promptTokens} prompt tokens, ${r.shots}-shot`
  return `given ${r.given ?? 'no letter'}, expected ${r.expected}${probs} · raw ${JSON.stringify(r.text)}${cost}`
}

/** The question and its options, without the few-shot header; reads well with its line breaks collapsed (the UI does). */
function describeQuestion(q: Question): string {
  return [q.question.trim(), ...q.choices.map((c, i) => `(${LETTERS[i]}) ${c}`)].join('\n')
}

/**
 * A wrong answer is a failed assertion, expected vs given, without a stack
 * trace: it is the measurement, not a bug, and capturing and source-mapping a
 * stack for each one cost Vitest about 0.2 ms per question (bench B1).
 */
function expectAnswer(record: QuestionRecord, message: string): void {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    expect(record.given, message).toBe(record.expected)
  } finally {
    Error.stackTraceLimit = limit
  }
}

/** What a subject file asks: an MMLU subject from the data folder, or a question set of your own. */
interface QuestionSource {
  name: string
  /** How the prompt header and the suite name it. */
  title: string
  category: string
  /** The questions, and the shots the prompts can take (0 for a topic without a dev file). */
  load(options: Options): Promise<{ dev: Question[]; test: Question[]; shots: number; files?: TopicFile[]; warnings: string[] }>
}

function mmluSource(subject: string, options: Options): QuestionSource {
  if (!isSubject(subject)) {
    const near = suggestSubjects(subject)
    throw new DatasetError({
      code: 'unknown-subject',
      file: `defineSubject(${JSON.stringify(subject)})`,
      problem: `unknown MMLU subject${near.length ? `; did you mean ${near.join(', ')}?` : ''}`,
      fix: 'use one of the 57 names in src/dataset/subjects.ts, or define a topic of your own: defineSubject({ name, test, dev })',
    })
  }
  // The data folder: MMLU_DATA_DIR, else the verified download in the cache
  // (the mmlu project's global setup fetches it on a first run).
  const dataDir = locateDataDir(options.dataDir)
  if (!dataDir) {
    throw new DatasetError({
      code: 'missing-file',
      file: 'MMLU_DATA_DIR',
      problem: 'no MMLU data: MMLU_DATA_DIR is unset and the cache has no download',
      fix: 'run npm run data:pull, or set MMLU_DATA_DIR to a folder in the Hendrycks layout ({dev,test}/<subject>_<split>.csv)',
    })
  }
  return {
    name: subject,
    title: subjectTitle(subject),
    category: SUBJECTS[subject].category,
    async load(o) {
      // MMLU_LIMIT asks fewer questions of a complete copy; it does not excuse an incomplete one.
      const { dev, test } = await loadSubject(dataDir, subject, { allowPartial: o.allowPartialData, shots: o.shots })
      return { dev, test, shots: o.shots, warnings: [] }
    },
  }
}

function topicSource(spec: TopicSpec): QuestionSource {
  checkTopicSpec(spec)
  return {
    name: spec.name,
    title: spec.title ?? subjectTitle(spec.name),
    category: spec.category ?? DEFAULT_TOPIC_CATEGORY,
    async load(o) {
      const topic = await loadTopic(spec, process.cwd())
      // Few-shot examples from the set's own dev file; none: 0-shot, and the header says so.
      const shots = spec.dev === undefined ? 0 : o.shots
      if (spec.dev !== undefined) checkShots(topic.dev, spec.dev, shots)
      return { dev: topic.dev, test: topic.test, shots, files: topic.files, warnings: topic.warnings }
    },
  }
}

/**
 * One subject file: `defineSubject('astronomy')` for an MMLU subject, or
 * `defineSubject({ name, test, dev?, category?, title? })` for a question set
 * of your own (2-10 options a question; see src/dataset/topic.ts).
 */
export function defineSubject(subjectOrTopic: string | TopicSpec): void {
  // The settings files as the main process read them, so the worker need not load Vite to read them.
  const { env, sources } = currentSettings(inject('mmluSettingsFiles'))
  const options: Options = readOptions(env, sources)
  // What a server may echo back (the API key, keys in its URL): never stored nor shown.
  const secrets = secretsOf(options)
  const source = typeof subjectOrTopic === 'string' ? mmluSource(subjectOrTopic, options) : topicSource(subjectOrTopic)
  const subject = source.name

  describe(source.title, { concurrent: inFlightCap(options) > 1 }, async () => {
    const { dev, test: all, shots, files, warnings } = await source.load(options)
    const questions = options.sample ? sampleQuestions(all, subject, options.sample, options.seed) : options.limit === undefined ? all : all.slice(0, options.limit)
    // Each question × rotation is one prompt; each of its trials one test.
    const prompted: Question[] = []
    const asks: Ask[] = []
    for (const question of questions) {
      const plans = new Map<number | undefined, number>()
      for (const variant of questionVariants(options, question.choices.length, !hasOptionReferences(question.choices))) {
        let plan = plans.get(variant.rotation)
        if (plan === undefined) {
          plan = prompted.push(variant.rotation ? rotateQuestion(question, variant.rotation) : question) - 1
          plans.set(variant.rotation, plan)
        }
        asks.push({ question, variant, plan })
      }
    }
    // Each annotation is a round trip to the main process (about 0.4 ms per
    // question, bench B1): sent only when something shows them.
    const annotating = inject('mmluAnnotations') ?? true

    let engine: Engine
    let session: Session
    let scoring: ScoringMode
    let plans: PromptPlans | undefined
    let cache: AnswerCache | undefined
    let subjectRun: SubjectRun | undefined

    beforeAll(async ({}, suite) => {
      const t0 = performance.now()
      if (typeof subjectOrTopic !== 'string') checkTopicFile(subject, suite.file.filepath)
      engine = await openEngine(options, workersSharingTheMachine())
      scoring = options.scoring ?? (engine.scoringModes[0] as ScoringMode)
      if (!engine.scoringModes.includes(scoring)) {
        const why = options.protocol && PROTOCOLS[options.protocol.name].sets.MMLU_SCORING === scoring ? ` (MMLU_PROTOCOL=${options.protocol.name} scores by ${scoring}: the protocol cannot be kept on this engine)` : ''
        throw new EngineError(`${engine.info.engine} cannot score by ${scoring}${why}; use MMLU_SCORING=${engine.scoringModes.join(' or ')}`)
      }
      const reserve = scoring === 'generate' ? options.maxTokens : 1
      plans = planPrompts(source, dev, prompted, shots, engine, reserve)
      const fitted = plans
      const longest = maxOf(Array.from(fitted.tokens, (n, i) => (fitted.shots[i]! >= 0 ? Math.max(0, n) : 0)), 0)
      session = await engine.openSession({
        scoring,
        concurrency: inFlightCap(options),
        promptTokens: engine.countTokens ? longest : undefined,
        maxTokens: options.maxTokens,
      })
      const inputs = subjectInputs(subject, dev, all, shots, source.title, options)
      if (options.cache !== 'off') {
        cache = AnswerCache.open(path.join(cacheRoot(), 'answers'), answerKey(subject, engine.info, inputs, scoring, { ...options, shots }), options.cache, all)
      }
      const run: SubjectRun = {
        subject,
        category: source.category,
        engine: engine.info,
        session: session.details,
        scoring,
        shots,
        concurrency: options.concurrency,
        questions: questions.length,
        ...(asks.length !== questions.length ? { asks: asks.length } : {}),
        ...(options.sample ? { population: all.length } : {}),
        setupMs: performance.now() - t0,
        reducedShots: plans.shots.reduce((n, k) => (k >= 0 && k < shots ? n + 1 : n), 0),
        // What the baseline gate checks before pairing this subject's questions with another run's.
        inputs: recordedInputs(inputs, { ...(shots !== options.shots ? { shotsNote: 'no dev file' } : {}), ...(files ? { files } : {}) }),
        cacheIgnored: Object.fromEntries(Object.entries(cache?.ignored ?? {}).filter((e): e is [string, number] => e[1] !== undefined)),
        ...(warnings.length ? { warnings } : {}),
      }
      suite.meta.mmluSubject = run
      subjectRun = run
    }, SETUP_TIMEOUT_MS)

    afterAll(async () => {
      // Known only once the questions ran; the suite's meta goes to the reporter after this hook.
      if (subjectRun && cache?.writeError) subjectRun.cacheWriteError = cache.writeError
      // Servers given up while this file ran (several servers): the summary names them.
      if (subjectRun && session?.givenUp?.length) subjectRun.serversGivenUp = [...session.givenUp]
      // The embedded engine's memory is this worker's: its peak so far (kB on every platform). A server's is not ours to measure.
      if (subjectRun && engine && engine.info.server === undefined) subjectRun.peakRssBytes = process.resourceUsage().maxRSS * 1024
      // What auto concurrency chose, likewise.
      if (subjectRun && session) subjectRun.session = session.details
      await session?.close()
    })

    const timeout = questionTimeLimitMs(options.timeoutMs, inFlightCap(options))
    // Per test, only what it cannot rebuild: a topic of a million questions holds a million of these.
    for (const { question, variant, plan: p } of asks) {
      test(testName(question, variantLabel(variant, options.trials)), { timeout }, async ({ task, annotate, skip, signal }) => {
        const label = variantLabel(variant, options.trials)
        const which = `#${question.index}${label ? ` ${label}` : ''}`
        const asked = prompted[p]!
        const planned = plans!.prompt(p)
        let record: QuestionRecord
        const earlier = cache?.get(question.index, variant)
        if (earlier) {
          // A cache written before redaction may hold a key the server echoed.
          record = redactRecord({ ...earlier, cached: true }, secrets)
        } else if (!planned) {
          record = errorRecord(question, plans!, p, variant, plans!.unfit.get(p) ?? 'no prompt')
        } else {
          // Above temperature 0 every ask draws from its own seed: the engine samples
          // generated tokens; a log-prob answer's letter is drawn in scoring.
          const sampling = options.temperature > 0 ? { temperature: options.temperature, seed: askSeed(options.seed, subject, question.index, variant) } : undefined
          const prompt: Prompt = sampling && scoring === 'generate' ? { ...planned, sampling } : planned
          try {
            // The session is the dispatcher's: deadline, retries and the choice of server are applied there (src/backends/dispatch.ts).
            const raw = await session.answer(prompt, signal, `question ${which}`)
            record = { ...scoreAnswer(asked, raw, planned.shots, sampling), ...variant }
          } catch (e) {
            record = errorRecord(question, plans!, p, variant, (e as Error).message, e instanceof NotAskedError ? 'not-asked' : 'error')
            if ((e as EngineError).server) record.server = (e as EngineError).server
          }
          record.questionHash = questionHash(question)
          record = redactRecord(record, secrets)
          cache?.put(record)
        }
        task.meta.mmlu = record
        // Never put to the model: skipped in Vitest's eyes, counted apart by the reporter.
        if (record.outcome === 'not-asked') skip(`not asked: ${record.error}`)
        // The question, then the answer (none on an error): one round trip each, sent together.
        if (annotating) {
          const shown = annotate(describeQuestion(asked), 'question')
          await (record.outcome === 'error' ? shown : Promise.all([shown, annotate(describeAnswer(record), 'answer')]))
        }
        if (record.outcome === 'error') throw new EngineError(`${subject} ${which}: ${record.error}`)
        expectAnswer(record, `${subject} ${which}: the model's answer`)
      })
    }
  })
}
