// The answer cache: every answered question is appended to an on-disk JSONL
// file the moment it is answered, so an interrupted run resumes where it
// stopped instead of starting over. One file per subject and configuration.
//
// Integrity rules:
// - the key covers everything that can change an answer (see answerKey): the
//   engine, the weights digest (or, on an OpenAI-compatible server, all it
//   reports of the model), the server, the data and prompt, the scoring
//   options and the version of the scoring code;
// - a cached record is checked before it is trusted (fields and types, index
//   in range, the same question by hash, an outcome that follows from its
//   letters, a letter that follows from its probabilities); one that fails is
//   ignored, counted by reason, and asked again;
// - lines not trusted (a line cut short by a crash above all) are counted
//   once, then compacted away; if the file cannot be rewritten, a cut line
//   is ended before the next record goes in;
// - a failed write never loses this run's answer: the cache stops writing and
//   says why once (writeError), the answer still counts.
// Errors and not-asked questions are never cached: a rerun asks them again.
import { createHash } from 'node:crypto'
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { EngineInfo } from '../base/record.js'
import { fingerprintRow } from '../dataset/fingerprint.js'
import type { Question } from '../dataset/question.js'
import { isLetter, lettersOf } from '../dataset/question.js'
import type { CacheMode, Options, ScoringMode } from '../config/options.js'
import type { LetterProbabilities, QuestionRecord } from '../base/record.js'
import { variantSuffix } from '../base/record.js'
import { letterFromProbabilities, SCORING_VERSION } from './scoring.js'
import type { Variant } from '../prompt/variants.js'
import { describeSample, rotateQuestion } from '../prompt/variants.js'

export interface AnswerKey {
  subject: string
  engine: string
  model: string
  /** Weights digest; without one the model name stands in. */
  digest: string | undefined
  /** The server that answers (base URL), for server engines; undefined for an embedded model file. */
  server: string | undefined
  /** What an OpenAI-compatible server reports of the model id (EngineInfo.identity); absent where none is reported, so other engines' keys are as before. */
  identity?: string
  dataFingerprint: string
  promptHash: string
  scoring: string
  /** SCORING_VERSION: answers scored by older scoring code are asked again. */
  scoringVersion: number
  shots: number
  maxTokens: number
  /**
   * Other settings that change an answer or which questions are asked: prompt
   * format, seed, and (only when set, so a default run keeps its key) the
   * temperature, rotated options and the sample. Trials are per record: the
   * cache holds each trial and rotation of a question apart (AnswerCache.get).
   */
  extra: Record<string, string | number | boolean | undefined>
}

/** The key of one subject's answers: everything in this run that can change them. */
export function answerKey(
  subject: string,
  engine: Pick<EngineInfo, 'engine' | 'model' | 'digest' | 'server'> & Partial<Pick<EngineInfo, 'identity'>>,
  inputs: { dataFingerprint: string; promptHash: string },
  scoring: ScoringMode,
  options: Pick<Options, 'shots' | 'maxTokens' | 'promptFormat' | 'seed'> & Partial<Pick<Options, 'temperature' | 'rotate' | 'sample'>>,
): AnswerKey {
  return {
    subject,
    engine: engine.engine,
    model: engine.model,
    digest: engine.digest,
    server: engine.server,
    ...(engine.identity !== undefined ? { identity: engine.identity } : {}),
    dataFingerprint: inputs.dataFingerprint,
    promptHash: inputs.promptHash,
    scoring,
    scoringVersion: SCORING_VERSION,
    shots: options.shots,
    maxTokens: options.maxTokens,
    extra: {
      promptFormat: options.promptFormat,
      seed: options.seed,
      ...(options.temperature ? { temperature: options.temperature } : {}),
      ...(options.rotate ? { rotate: true } : {}),
      ...(options.sample ? { sample: describeSample(options.sample) } : {}),
    },
  }
}

export function answerKeyHash(key: AnswerKey): string {
  // Stable field order, so the same key always gives the same file.
  const canonical = JSON.stringify(Object.entries(key).sort(([a], [b]) => a.localeCompare(b)))
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32)
}

/** A short hash of what a question asks (its text, options and key), stamped on each record: a cached answer is only reused for the same question. */
export function questionHash(q: Pick<Question, 'question' | 'choices' | 'answer'>): string {
  return createHash('sha256').update(fingerprintRow(q), 'utf8').digest('hex').slice(0, 16)
}

/** Why a cached line was not trusted. */
export type IgnoredReason = 'malformed' | 'out of range' | 'stale'

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isCount = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0
const isTime = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0

/**
 * Whether the letter follows from the probabilities as scoring reads them
 * (src/scoring/scoring.ts): each a finite number ≥ 0; no letter when none is above 0;
 * otherwise the argmax, or, when the letter was drawn (a temperature above 0),
 * a letter with a probability above 0. Anything else no engine wrote, and it
 * would break calibration (a sum of 0 divides by 0).
 */
function lettersFollow(p: Record<string, unknown>, given: string | null, sampled: boolean): boolean {
  const values = Object.values(p)
  if (!values.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) return false
  const read = letterFromProbabilities(p as LetterProbabilities).letter
  if (given === null || read === null) return given === read
  return sampled ? (p[given] as number) > 0 : given === read
}

/**
 * Checks one cached line against the subject's questions; a record, or why not.
 * `sampled`: the letters were drawn from the probabilities (MMLU_TEMPERATURE above 0), not their argmax.
 */
export function checkCachedRecord(line: unknown, subject: string, questions: readonly Question[], { sampled = false } = {}): QuestionRecord | IgnoredReason {
  if (!isObject(line)) return 'malformed'
  const r = line
  const wellTyped =
    r.subject === subject &&
    Number.isInteger(r.index) &&
    isLetter(r.expected) &&
    (r.given === null || isLetter(r.given)) &&
    (r.outcome === 'correct' || r.outcome === 'wrong' || r.outcome === 'invalid') &&
    typeof r.text === 'string' &&
    isCount(r.shots) &&
    isCount(r.promptTokens) &&
    isCount(r.evaluatedTokens) &&
    isCount(r.completionTokens) &&
    isTime(r.startedAt) &&
    isTime(r.latencyMs) &&
    typeof r.questionHash === 'string' &&
    (r.trial === undefined || (Number.isInteger(r.trial) && (r.trial as number) >= 1)) &&
    (r.rotation === undefined || (Number.isInteger(r.rotation) && (r.rotation as number) >= 0)) &&
    (r.probabilities === undefined || (isObject(r.probabilities) && Object.keys(r.probabilities).every(isLetter)))
  if (!wellTyped) return 'malformed'
  // The outcome must follow from the letters, or the record was not written by us.
  const outcome = r.given === null ? 'invalid' : r.given === r.expected ? 'correct' : 'wrong'
  if (outcome !== r.outcome) return 'malformed'
  const question = questions[r.index as number]
  if (!question || question.index !== r.index) return 'out of range'
  if (r.rotation !== undefined && (r.rotation as number) >= question.choices.length) return 'out of range'
  // The hash is the question as written; the key, as asked (under its rotation).
  const asked = r.rotation === undefined ? question : rotateQuestion(question, r.rotation as number)
  if (r.questionHash !== questionHash(question) || r.expected !== asked.answer) return 'stale'
  // Probabilities for exactly the question's letters.
  const letters = lettersOf(question.choices.length)
  const probabilities = r.probabilities as Record<string, number> | undefined
  if (probabilities !== undefined && (Object.keys(probabilities).length !== letters.length || !letters.every((l) => l in probabilities))) return 'malformed'
  if (probabilities !== undefined && !lettersFollow(probabilities, r.given as string | null, sampled)) return 'malformed'
  return r as unknown as QuestionRecord
}

export class AnswerCache {
  /** By index and variant (`12`, `12/t2/r1`): each trial and rotation of a question is its own answer. */
  private readonly answers = new Map<string, QuestionRecord>()
  /** Cached lines not trusted, by reason; they are asked again. */
  readonly ignored: Partial<Record<IgnoredReason, number>> = {}
  /** Why the cache stopped writing (the first failed write); undefined while it works. */
  writeError: string | undefined
  /** The file's last line was cut short (no newline): end it before appending. */
  private cutLine = false

  private constructor(readonly file: string) {}

  /** Opens (and, for `refresh`, empties) the cache file of one subject and configuration. */
  static open(dir: string, key: AnswerKey, mode: Exclude<CacheMode, 'off'>, questions: readonly Question[]): AnswerCache {
    const cache = new AnswerCache(path.join(dir, `${key.subject}-${answerKeyHash(key)}.jsonl`))
    try {
      mkdirSync(dir, { recursive: true })
      if (mode === 'refresh') writeFileSync(cache.file, '')
    } catch (e) {
      cache.writeError = (e as Error).message
      return cache
    }
    if (mode === 'refresh') return cache
    let text = ''
    try {
      text = readFileSync(cache.file, 'utf8')
    } catch {
      return cache
    }
    cache.cutLine = text.length > 0 && !text.endsWith('\n')
    const kept: string[] = []
    for (const line of text.split('\n')) {
      if (!line) continue
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch {
        // A line cut by a crash mid-write, or not ours: that question is asked again.
        cache.ignore('malformed')
        continue
      }
      const checked = checkCachedRecord(parsed, key.subject, questions, { sampled: Boolean(key.extra.temperature) })
      if (typeof checked === 'string') cache.ignore(checked)
      else {
        cache.answers.set(`${checked.index}${variantSuffix(checked)}`, checked)
        kept.push(line)
      }
    }
    if (Object.keys(cache.ignored).length > 0) cache.compact(kept)
    return cache
  }

  /**
   * Rewrites the file with only the lines trusted (through a temp file and a
   * rename): an ignored line, a cut last one above all, is counted once, not by
   * every later run. If it cannot be rewritten the file stays as it was (the
   * lines are ignored again next time) and appends still work.
   */
  private compact(lines: readonly string[]): void {
    const tmp = `${this.file}.${process.pid}.tmp`
    try {
      writeFileSync(tmp, lines.map((l) => `${l}\n`).join(''))
      renameSync(tmp, this.file)
      this.cutLine = false
    } catch {
      rmSync(tmp, { force: true })
    }
  }

  private ignore(reason: IgnoredReason): void {
    this.ignored[reason] = (this.ignored[reason] ?? 0) + 1
  }

  get size(): number {
    return this.answers.size
  }

  get(index: number, variant: Variant = {}): QuestionRecord | undefined {
    return this.answers.get(`${index}${variantSuffix(variant)}`)
  }

  /**
   * Synchronous, so an answer is on disk before its test ends, even if the run
   * is killed next. Never throws: a failed write (a full disk, a read-only
   * folder) stops the cache and is kept in writeError; the answer still counts.
   */
  put(record: QuestionRecord): void {
    if (record.outcome === 'error' || record.outcome === 'not-asked' || this.writeError !== undefined) return
    const { cached: _cached, ...fresh } = record
    try {
      appendFileSync(this.file, `${this.cutLine ? '\n' : ''}${JSON.stringify(fresh)}\n`)
      this.cutLine = false
    } catch (e) {
      this.writeError = `${this.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`
      return
    }
    this.answers.set(`${record.index}${variantSuffix(record)}`, fresh)
  }
}
