// The answer cache (issue 12, "The answer cache", and issue 17 item 1): what
// is in the key, what is trusted, how it survives a cut line and a failed write.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { beforeEach, describe, expect, test } from 'vitest'
import type { AnswerKey } from '../src/scoring/answer-cache.js'
import { renderCacheWriteErrors } from '../reporters/render/terminal.js'
import { AnswerCache, answerKey, answerKeyHash, checkCachedRecord, questionHash } from '../src/scoring/answer-cache.js'
import type { Question } from '../src/dataset/question.js'
import { readOptions } from '../src/config/options.js'
import type { QuestionRecord } from '../src/base/record.js'
import { SCORING_VERSION } from '../src/scoring/scoring.js'

const questions: Question[] = ['Which planet is largest?', 'Which is a gas?', 'What is 2+2?'].map((question, index) => ({
  subject: 'astronomy',
  split: 'test',
  index,
  question,
  choices: ['a', 'b', 'c', 'd'],
  answer: (['A', 'B', 'C'] as const)[index]!,
}))

function record(q: Question, given: QuestionRecord['given']): QuestionRecord {
  return {
    subject: q.subject,
    index: q.index,
    questionHash: questionHash(q),
    expected: q.answer,
    given,
    outcome: given === null ? 'invalid' : given === q.answer ? 'correct' : 'wrong',
    // The given letter is the argmax, as log-prob scoring reads it; no letter: none has a probability.
    probabilities: given === null ? { A: 0, B: 0, C: 0, D: 0 } : { A: 0.1, B: 0.1, C: 0.1, D: 0.1, [given]: 0.6 },
    text: ` ${given}`,
    shots: 5,
    promptTokens: 100,
    evaluatedTokens: 100,
    completionTokens: 1,
    startedAt: 1_700_000_000_000,
    latencyMs: 12,
  }
}

describe('the key: everything that can change an answer', () => {
  const options = readOptions({})
  const engine = { engine: 'ollama', model: 'llama3.2:1b', digest: 'sha256:aaa', server: 'http://127.0.0.1:11434' }
  const inputs = { dataFingerprint: 'sha256:data', promptHash: 'sha256:prompt' }
  const base = answerKey('astronomy', engine, inputs, 'logprob', options)
  const hash = answerKeyHash(base)

  test('a sampled key differs from another temperature\'s and another seed\'s', () => {
    const warm = answerKeyHash(answerKey('astronomy', engine, inputs, 'logprob', readOptions({ MMLU_TEMPERATURE: '0.7' })))
    expect(answerKeyHash(answerKey('astronomy', engine, inputs, 'logprob', readOptions({ MMLU_TEMPERATURE: '0.7', MMLU_SEED: '7' })))).not.toBe(warm)
    expect(answerKeyHash(answerKey('astronomy', engine, inputs, 'logprob', readOptions({ MMLU_TEMPERATURE: '0.8' })))).not.toBe(warm)
  })

  test('options left at their defaults leave the key as it always was (a default run keeps its cache)', () => {
    expect(answerKeyHash(answerKey('astronomy', engine, inputs, 'logprob', readOptions({ MMLU_TEMPERATURE: '0', MMLU_TRIALS: '1', MMLU_ROTATE: 'off' })))).toBe(hash)
    expect(base.extra).toEqual({ promptFormat: 'raw', seed: 42 })
    // A key without a server's report of the model (Ollama, llama.cpp) has no field for it: their cache files keep their names.
    expect(base).not.toHaveProperty('identity')
  })

  test('the same configuration gives the same entry', () => {
    expect(answerKeyHash(answerKey('astronomy', { ...engine }, { ...inputs }, 'logprob', readOptions({})))).toBe(hash)
    expect(base.scoringVersion).toBe(SCORING_VERSION)
  })

  // Each line changes one thing a run depends on; each must be a different cache entry.
  test.each<[string, AnswerKey]>([
    ['another subject', answerKey('anatomy', engine, inputs, 'logprob', options)],
    ['another engine', answerKey('astronomy', { ...engine, engine: 'openai' }, inputs, 'logprob', options)],
    ['another model', answerKey('astronomy', { ...engine, model: 'llama3.2:3b' }, inputs, 'logprob', options)],
    ['another weights digest', answerKey('astronomy', { ...engine, digest: 'sha256:bbb' }, inputs, 'logprob', options)],
    ['no digest', answerKey('astronomy', { ...engine, digest: undefined }, inputs, 'logprob', options)],
    // Issue 25 bug 3: what an OpenAI-compatible server reports of the model id (vLLM's root), besides the id.
    ['what the server reports of the model', answerKey('astronomy', { ...engine, identity: '{"root":"/models/q4"}' }, inputs, 'logprob', options)],
    ['another server', answerKey('astronomy', { ...engine, server: 'http://10.0.0.2:11434' }, inputs, 'logprob', options)],
    ['another data fingerprint', answerKey('astronomy', engine, { ...inputs, dataFingerprint: 'sha256:other' }, 'logprob', options)],
    ['another prompt', answerKey('astronomy', engine, { ...inputs, promptHash: 'sha256:other' }, 'logprob', options)],
    ['generate scoring', answerKey('astronomy', engine, inputs, 'generate', options)],
    ['other shots', answerKey('astronomy', engine, inputs, 'logprob', readOptions({ MMLU_SHOTS: '0' }))],
    ['other max tokens', answerKey('astronomy', engine, inputs, 'logprob', readOptions({ MMLU_MAX_TOKENS: '9' }))],
    ['chat prompts', answerKey('astronomy', engine, inputs, 'logprob', readOptions({ MMLU_PROMPT_FORMAT: 'chat' }))],
    ['another seed', answerKey('astronomy', engine, inputs, 'logprob', readOptions({ MMLU_SEED: '7' }))],
    ['a sampling temperature', answerKey('astronomy', engine, inputs, 'logprob', readOptions({ MMLU_TEMPERATURE: '0.7' }))],
    ['another temperature', answerKey('astronomy', engine, inputs, 'logprob', readOptions({ MMLU_TEMPERATURE: '1' }))],
    ['rotated options', answerKey('astronomy', engine, inputs, 'logprob', readOptions({ MMLU_ROTATE: 'on' }))],
    ['a seeded sample', answerKey('astronomy', engine, inputs, 'logprob', readOptions({ MMLU_SAMPLE: '20' }))],
    ['another sample', answerKey('astronomy', engine, inputs, 'logprob', readOptions({ MMLU_SAMPLE: '0.5' }))],
    ['older scoring code', { ...base, scoringVersion: SCORING_VERSION - 1 }],
  ])('%s gives another entry', (_what, key) => {
    expect(answerKeyHash(key)).not.toBe(hash)
  })
})

describe('a cached record is checked before it is trusted', () => {
  test('a record written by the cache is accepted as it is', () => {
    const r = record(questions[1]!, 'B')
    expect(checkCachedRecord(JSON.parse(JSON.stringify(r)), 'astronomy', questions)).toEqual(r)
  })

  test('an invalid answer whose letters had no probability is accepted', () => {
    const r = record(questions[1]!, null)
    expect(checkCachedRecord(JSON.parse(JSON.stringify(r)), 'astronomy', questions)).toEqual(r)
  })

  test('a sampled letter (MMLU_TEMPERATURE above 0) need not be the argmax, but must have a probability', () => {
    const drawn = { ...record(questions[1]!, 'B'), probabilities: { A: 0.1, B: 0.2, C: 0.6, D: 0.1 } }
    expect(checkCachedRecord(JSON.parse(JSON.stringify(drawn)), 'astronomy', questions, { sampled: true })).toEqual(drawn)
    expect(checkCachedRecord({ ...drawn, probabilities: { A: 0.1, B: 0, C: 0.6, D: 0.1 } }, 'astronomy', questions, { sampled: true })).toBe('malformed')
    expect(checkCachedRecord({ ...drawn, probabilities: { A: 0, B: 0, C: 0, D: 0 } }, 'astronomy', questions, { sampled: true })).toBe('malformed')
  })

  test('a rotated record is accepted with the key under its rotation', () => {
    const r = { ...record(questions[1]!, 'C'), expected: 'C' as const, outcome: 'correct' as const, rotation: 1, trial: 2 }
    expect(checkCachedRecord(JSON.parse(JSON.stringify(r)), 'astronomy', questions)).toEqual(r)
  })

  test.each<[string, unknown, string]>([
    ['only an index', { index: 1 }, 'malformed'],
    ['not an object', [1, 2], 'malformed'],
    ['another subject', { ...record(questions[1]!, 'B'), subject: 'anatomy' }, 'malformed'],
    ['a letter that is not one', { ...record(questions[1]!, 'B'), given: 'E' }, 'malformed'],
    ['an outcome that does not follow from the letters', { ...record(questions[1]!, 'B'), outcome: 'wrong' }, 'malformed'],
    ['an error outcome (never cached)', { ...record(questions[1]!, 'B'), outcome: 'error' }, 'malformed'],
    ['a latency that is not a number', { ...record(questions[1]!, 'B'), latencyMs: 'fast' }, 'malformed'],
    ['no question hash', { ...record(questions[1]!, 'B'), questionHash: undefined }, 'malformed'],
    ['an index past the end', { ...record(questions[1]!, 'B'), index: 3 }, 'out of range'],
    ['a changed question', { ...record(questions[1]!, 'B'), questionHash: questionHash({ ...questions[1]!, question: 'Which is a liquid?' }) }, 'stale'],
    ['a changed key', { ...record(questions[1]!, 'B'), expected: 'C', given: 'C', outcome: 'correct' }, 'stale'],
    // Question 1's key is B; rotated by 1 it is C: a rotated record must expect the rotated key.
    ['a rotated record that expects the key as written', { ...record(questions[1]!, 'B'), rotation: 1 }, 'stale'],
    ['a rotation past the options', { ...record(questions[1]!, 'B'), rotation: 4 }, 'out of range'],
    ['a trial that is not a positive whole number', { ...record(questions[1]!, 'B'), trial: 0 }, 'malformed'],
    ['a rotation that is not a whole number', { ...record(questions[1]!, 'B'), rotation: 1.5 }, 'malformed'],
    // Issue 25 bug 1: probabilities no engine gives with that letter; calibration divided by their sum.
    ['probabilities all 0 with a letter', { ...record(questions[1]!, 'B'), probabilities: { A: 0, B: 0, C: 0, D: 0 } }, 'malformed'],
    ['probabilities with a negative sum', { ...record(questions[1]!, 'B'), probabilities: { A: -0.5, B: 0.2, C: 0.1, D: 0.1 } }, 'malformed'],
    ['a negative probability', { ...record(questions[1]!, 'B'), probabilities: { A: -0.1, B: 0.6, C: 0.1, D: 0.1 } }, 'malformed'],
    ['a probability that was NaN (null in JSON)', { ...record(questions[1]!, 'B'), probabilities: { A: null, B: 0.6, C: 0.1, D: 0.1 } }, 'malformed'],
    ['a letter that is not the argmax', { ...record(questions[1]!, 'B'), probabilities: { A: 0.1, B: 0.2, C: 0.6, D: 0.1 } }, 'malformed'],
    ['no letter although one has a probability', { ...record(questions[1]!, null), probabilities: { A: 0.1, B: 0.2, C: 0.6, D: 0.1 } }, 'malformed'],
  ])('%s is ignored (%s)', (_what, line, reason) => {
    expect(checkCachedRecord(line, 'astronomy', questions)).toBe(reason)
  })
})

describe('the cache file', () => {
  let dir: string
  const key = answerKey('astronomy', { engine: 'llama.cpp', model: 'm.gguf', digest: 'sha256:x', server: undefined }, { dataFingerprint: 'd', promptHash: 'p' }, 'logprob', readOptions({}))
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mmlu-cache-unit-'))
  })

  test('bad lines are ignored and counted by reason; good ones are kept', () => {
    const first = AnswerCache.open(dir, key, 'on', questions)
    first.put(record(questions[0]!, 'A'))
    first.put(record(questions[1]!, 'C'))
    appendFileSync(first.file, '{"index":2}\nnot json\n')
    appendFileSync(first.file, `${JSON.stringify({ ...record(questions[2]!, 'C'), questionHash: '0000000000000000' })}\n`)
    const again = AnswerCache.open(dir, key, 'on', questions)
    expect(again.size).toBe(2)
    expect(again.get(1)).toMatchObject({ given: 'C', outcome: 'wrong' })
    expect(again.get(2)).toBeUndefined()
    expect(again.ignored).toEqual({ malformed: 2, stale: 1 })
  })

  test('each trial and rotation of a question is its own answer: the cache never hands one trial\'s answer to another', () => {
    const cache = AnswerCache.open(dir, key, 'on', questions)
    cache.put({ ...record(questions[1]!, 'B'), trial: 1 })
    cache.put({ ...record(questions[1]!, 'D'), trial: 2 })
    // Rotated by 1, question 1's key B sits under C.
    cache.put({ ...record(questions[1]!, 'C'), expected: 'C', outcome: 'correct', rotation: 1, trial: 1 })
    cache.put(record(questions[1]!, 'A'))
    const again = AnswerCache.open(dir, key, 'on', questions)
    expect(again.size).toBe(4)
    expect(again.ignored).toEqual({})
    expect(again.get(1, { trial: 1 })).toMatchObject({ given: 'B', trial: 1 })
    expect(again.get(1, { trial: 2 })).toMatchObject({ given: 'D', trial: 2 })
    expect(again.get(1, { trial: 1, rotation: 1 })).toMatchObject({ given: 'C', outcome: 'correct' })
    expect(again.get(1)).toMatchObject({ given: 'A' })
    expect(again.get(1, { trial: 3 })).toBeUndefined()
    expect(again.get(1, { rotation: 1 })).toBeUndefined()
  })

  // Issue 25 item 9: the cut line stayed, and every later run said "1 cached answers ignored".
  test('a last line cut by a crash is counted once, then compacted away: later opens find nothing to ignore', () => {
    const cache = AnswerCache.open(dir, key, 'on', questions)
    cache.put(record(questions[0]!, 'A'))
    const whole = JSON.stringify(record(questions[1]!, 'B'))
    appendFileSync(cache.file, whole.slice(0, 40)) // the crash: half a line, no newline
    const resumed = AnswerCache.open(dir, key, 'on', questions)
    expect(resumed.ignored).toEqual({ malformed: 1 })
    resumed.put(record(questions[1]!, 'B'))
    resumed.put(record(questions[2]!, 'C'))
    const lines = readFileSync(cache.file, 'utf8').split('\n')
    expect(lines.map((l) => (l ? (JSON.parse(l) as QuestionRecord).index : l))).toEqual([0, 1, 2, '']) // three records, and the empty string after the last newline
    const reopened = AnswerCache.open(dir, key, 'on', questions)
    expect(reopened.size).toBe(3)
    expect(reopened.ignored).toEqual({})
  })

  test('ignored lines of every kind are compacted away, good lines kept as they were written', () => {
    const cache = AnswerCache.open(dir, key, 'on', questions)
    cache.put(record(questions[0]!, 'A'))
    appendFileSync(cache.file, `{"index":2}\nnot json\n${JSON.stringify({ ...record(questions[2]!, 'C'), questionHash: '0000000000000000' })}\n`)
    cache.put(record(questions[1]!, 'B'))
    const good = readFileSync(cache.file, 'utf8').split('\n').filter((l) => l.startsWith('{"subject"') && !l.includes('0000000000000000'))
    expect(AnswerCache.open(dir, key, 'on', questions).ignored).toEqual({ malformed: 2, stale: 1 })
    expect(readFileSync(cache.file, 'utf8')).toBe(`${good.join('\n')}\n`)
    const again = AnswerCache.open(dir, key, 'on', questions)
    expect(again.ignored).toEqual({})
    expect(again.size).toBe(2)
  })

  test('a failed write loses nothing of this run: put does not throw, the cache stops and says why', () => {
    const cache = AnswerCache.open(dir, key, 'on', questions)
    // The file's place is taken by a folder: every append fails (EISDIR), as on a full or read-only disk.
    mkdirSync(cache.file)
    expect(() => cache.put(record(questions[0]!, 'A'))).not.toThrow()
    expect(cache.writeError).toMatch(/EISDIR/)
    expect(() => cache.put(record(questions[1]!, 'B'))).not.toThrow()
  })

  test('a cache folder that cannot be made: the run goes on without a cache', () => {
    const blocked = path.join(dir, 'file')
    writeFileSync(blocked, '')
    const cache = AnswerCache.open(path.join(blocked, 'answers'), key, 'on', questions)
    expect(cache.writeError).toMatch(/ENOTDIR|EEXIST/)
    expect(cache.size).toBe(0)
    expect(() => cache.put(record(questions[0]!, 'A'))).not.toThrow()
  })
})

describe('a cache that cannot be written, in the terminal', () => {
  test('every failed file is named, up to a few, then counted; one subject reads as before', () => {
    const errors = ['astronomy', 'anatomy', 'virology', 'nutrition', 'marketing', 'sociology'].map((subject) => ({ subject, error: `/c/${subject}.jsonl: ENOSPC` }))
    expect(renderCacheWriteErrors(errors.slice(0, 1))).toBe("Warning    the answer cache is not being written (/c/astronomy.jsonl: ENOSPC): this run's answers count, but a rerun will ask them again.")
    expect(renderCacheWriteErrors(errors)).toBe(
      'Warning    the answer cache is not being written for 6 subjects (/c/astronomy.jsonl: ENOSPC; /c/anatomy.jsonl: ENOSPC; /c/virology.jsonl: ENOSPC; /c/nutrition.jsonl: ENOSPC; ' +
        "and 2 more subjects (all in the results JSON, cacheWriteErrors)): this run's answers count, but a rerun will ask them again.",
    )
  })
})
