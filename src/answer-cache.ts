// The answer cache: every answered question is appended to an on-disk JSONL
// file the moment it is answered, so an interrupted run resumes where it
// stopped instead of starting over. One file per subject and configuration;
// the key covers everything an answer depends on: engine, weights digest,
// data fingerprint, prompt hash and scoring options. Errors are never cached:
// a rerun asks those questions again.
import { createHash } from 'node:crypto'
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { CacheMode } from './options.js'
import type { QuestionRecord } from './record.js'

export interface AnswerKey {
  subject: string
  engine: string
  model: string
  /** Weights digest; without one the model name stands in. */
  digest: string | undefined
  dataFingerprint: string
  promptHash: string
  scoring: string
  shots: number
  maxTokens: number
  /** Other settings that change an answer (prompt format, seed, …). */
  extra: Record<string, string | number | undefined>
}

export function answerKeyHash(key: AnswerKey): string {
  // Stable field order, so the same key always gives the same file.
  const canonical = JSON.stringify(Object.entries(key).sort(([a], [b]) => a.localeCompare(b)))
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32)
}

export class AnswerCache {
  private readonly answers = new Map<number, QuestionRecord>()

  private constructor(readonly file: string) {}

  /** Opens (and, for `refresh`, empties) the cache file of one subject and configuration. */
  static open(dir: string, key: AnswerKey, mode: Exclude<CacheMode, 'off'>): AnswerCache {
    const cache = new AnswerCache(path.join(dir, `${key.subject}-${answerKeyHash(key)}.jsonl`))
    mkdirSync(dir, { recursive: true })
    if (mode === 'refresh') {
      writeFileSync(cache.file, '')
      return cache
    }
    let text = ''
    try {
      text = readFileSync(cache.file, 'utf8')
    } catch {
      return cache
    }
    for (const line of text.split('\n')) {
      if (!line) continue
      try {
        const r = JSON.parse(line) as QuestionRecord
        cache.answers.set(r.index, r)
      } catch {
        // A line cut by a crash mid-write: that question is simply asked again.
      }
    }
    return cache
  }

  get size(): number {
    return this.answers.size
  }

  get(index: number): QuestionRecord | undefined {
    return this.answers.get(index)
  }

  /** Synchronous, so an answer is on disk before its test ends, even if the run is killed next. */
  put(record: QuestionRecord): void {
    if (record.outcome === 'error') return
    const { cached: _cached, ...fresh } = record
    appendFileSync(this.file, `${JSON.stringify(fresh)}\n`)
    this.answers.set(record.index, fresh)
  }
}
