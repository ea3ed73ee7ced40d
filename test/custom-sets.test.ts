// Issue 16: a question set of your own as a topic, 2 to 10 options. Parsing
// and prompts as pure functions; exact counts end to end with fixed-answer
// models on the fixture topics in fixtures/topics (questions we wrote).
import { readFile } from 'node:fs/promises'
import { describe, expect, test } from 'vitest'
import { fixtureModelPath } from '../fixtures/models.js'
import { parseSplit } from '../src/dataset/csv.js'
import { DatasetError } from '../src/dataset/errors.js'
import { loadTopic } from '../src/dataset/topic.js'
import { buildPrompt, fewShotPrefix, formatQuestion, promptText } from '../src/prompt/prompt.js'
import { letterFromText, scoreAnswer } from '../src/scoring/scoring.js'
import { runVitest } from './helpers/run-vitest.js'

const TOPICS = ['--config', 'test/helpers/topics.config.ts']
const keys = async (topic: string) => (await loadTopic({ name: topic, test: `fixtures/topics/${topic}/test.csv` }, process.cwd())).test.map((q) => q.answer)

function error(f: () => unknown): DatasetError {
  try {
    f()
  } catch (e) {
    if (e instanceof DatasetError) return e
    throw e
  }
  throw new Error('no DatasetError')
}

describe('reading 2 to 10 options', () => {
  test('the header names the options; a row may leave its last options empty', async () => {
    const { questions, lines } = parseSplit(await readFile('fixtures/topics/ten_options/test.csv'), 'ten.csv', 'ten_options', 'test', {})
    expect(questions.map((q) => q.choices.length)).toEqual([10, 10, 10, 10, 10, 10, 7, 8, 10, 10])
    expect(questions.map((q) => q.answer).join('')).toBe('BCEABJCDHD')
    expect(lines).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
  })

  test("without a header, the first row's count of columns says how many options every question has", () => {
    const { questions } = parseSplit('Q1?,yes,no,maybe,C\nQ2?,a,b,c,A\n', 'inline.csv', 't', 'test', {})
    expect(questions.map((q) => [q.choices.length, q.answer])).toEqual([
      [3, 'C'],
      [3, 'A'],
    ])
  })

  test('without a header, a row with another count is an error, not another question: an unquoted comma would move its key', () => {
    // "What is 2+2, roughly?" unquoted: read row by row, its options would be " roughly?",3,4,5,6 and key B would mark "3".
    const csv = 'Which is a primary colour of light?,red,orange,purple,brown,A\nWhat is 2+2, roughly?,3,4,5,6,B\n'
    expect(error(() => parseSplit(csv, 'mine.csv', 't', 'test', {})).message).toBe(
      'mine.csv:2: 7 columns, where line 1 has 6 (question, 4 choices, answer). Fix: quote a field that contains a comma, a quote or a line break ("like, this"), and write each quote inside a quoted field twice ("say ""hi"""); questions with different numbers of options need a header row (question,A,…,J,answer, answers as indexes from 0), each leaving its unused last options empty.',
    )
    // A deleted option: the same message, at its line.
    expect(error(() => parseSplit('Q1?,a,b,c,d,A\nQ2?,a,c,d,B\n', 'mine.csv', 't', 'test', {})).message).toMatch(/^mine\.csv:2: 5 columns, where line 1 has 6/)
  })

  test('MMLU files still need exactly four options (the default), with the same messages', () => {
    expect(error(() => parseSplit('Q?,a,b,c,A\n', 'x.csv', 'astronomy', 'test')).message).toBe(
      'x.csv:1: expected 6 columns (question, 4 choices, answer), found 5. Fix: give each question exactly 6 fields; quote a field that contains a comma, a quote or a line break ("like, this"), and write each quote inside a quoted field twice ("say ""hi""").',
    )
  })

  test.each([
    ['question,choice0,answer\nQ?,a,0\n', 1, /unrecognised header/],
    ['Q?,a,A\n', 1, /expected 4 to 12 columns \(question, 2 to 10 choices, answer\), found 3/],
    ['Q?,a,b,c,d,e,f,g,h,i,j,k,A\n', 1, /found 13/],
    ['question,A,B,C,answer\nQ?,a,,c,0\n', 2, /option B is empty but a later one is not/],
    ['question,A,B,C,answer\nQ?,a,,,0\n', 2, /only 1 option: a question needs at least 2/],
    ['question,A,B,C,answer\nQ?,a,b,,2\n', 2, /answer must be an index 0-1 .* found "2"/],
    ['Q?,a,b,c,E\n', 1, /answer must be a letter A-C .* found "E"/],
  ])('%j: a file:line error with the fix', (text, line, problem) => {
    const e = error(() => parseSplit(text, 'mine.csv', 't', 'test', {}))
    expect(e.line).toBe(line)
    expect(e.message).toMatch(problem)
    expect(e.message).toMatch(new RegExp(`^mine\\.csv:${line}: .*\\. Fix: .+\\.$`))
  })

  test('duplicate questions are warned about with their lines, not rejected', async () => {
    const topic = await loadTopic({ name: 'dup', test: 'fixtures/topics/two_options/test.csv', dev: 'fixtures/topics/two_options/test.csv' }, process.cwd())
    expect(topic.warnings).toHaveLength(8)
    expect(topic.warnings[0]).toMatch(/two_options\/test\.csv:2: this few-shot example is also test question .*two_options\/test\.csv:2, whose answer it shows/)
    expect(topic.files.map((f) => [f.split, f.questions])).toEqual([
      ['test', 8],
      ['dev', 8],
    ])
    expect(topic.files[0]!.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/)
  })
})

describe('prompts and scoring', () => {
  const GOLDEN_10_OPTIONS_1_SHOT =
    'The following are multiple choice questions (with answers) about general knowledge.\n\n' +
    'What is 2 plus 2?\nA. 3\nB. 4\nC. 5\nD. 6\nE. 7\nF. 8\nG. 9\nH. 10\nI. 11\nJ. 12\nAnswer: B\n\n' +
    'Which of these is the largest number?\nA. 12\nB. 21\nC. 102\nD. 120\nE. 201\nF. 210\nG. 1002\nH. 1020\nI. 2001\nJ. 2010\nAnswer:'

  test('a 10-option prompt, pinned byte for byte: ten letter lines, the same template', async () => {
    const topic = await loadTopic({ name: 'ten_options', test: 'fixtures/topics/ten_options/test.csv', dev: 'fixtures/topics/ten_options/dev.csv' }, process.cwd())
    // The topic's title names it in the header (fixtures/topics/ten_options.eval.ts sets it).
    expect(fewShotPrefix('ten_options', topic.dev, 1, 'general knowledge') + formatQuestion(topic.test[5]!)).toBe(GOLDEN_10_OPTIONS_1_SHOT)
    const prompt = buildPrompt('ten_options', topic.dev, topic.test[5]!, 1)
    expect(promptText(prompt)).toBe(GOLDEN_10_OPTIONS_1_SHOT.replace('about general knowledge', 'about ten options'))
    expect(prompt.letters).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'])
    // MMLU's four-option prompts carry no letters field: they are what they were.
    expect(buildPrompt('x', [], { ...topic.test[0]!, choices: ['a', 'b', 'c', 'd'], answer: 'A' }, 0).letters).toBeUndefined()
  })

  test('generate scoring reads A-J, but only the question’s own letters', () => {
    expect(letterFromText(' J', ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'])).toBe('J')
    expect(letterFromText(' I think it is B', ['A', 'B', 'C'])).toBeNull()
    expect(letterFromText(' I think the answer is B', ['A', 'B', 'C'])).toBe('B')
    expect(letterFromText(' E')).toBeNull() // MMLU: A-D
  })

  test('log-prob scoring compares as many letters as the question has; the record says how many', () => {
    const q = { subject: 't', split: 'test' as const, index: 0, question: 'Q?', choices: ['a', 'b', 'c', 'd', 'e', 'f'], answer: 'F' as const }
    const r = scoreAnswer(q, { probabilities: { A: 0.1, B: 0.1, C: 0.1, D: 0.1, E: 0.2, F: 0.4 }, text: ' F', promptTokens: 1, evaluatedTokens: 1, completionTokens: 0, startedAt: 0, latencyMs: 1 }, 0)
    expect(r).toMatchObject({ given: 'F', outcome: 'correct', options: 6 })
  })
})

describe('end to end, with fixed-answer models', () => {
  test('2, 4 and 10 options: an always-B model scores exactly the B keys of each set; 0-shot without a dev file, said in the header', async () => {
    const run = await runVitest(['fixtures/topics/two_options', 'fixtures/topics/four_options', 'fixtures/topics/ten_options'], {
      env: { MMLU_MODEL: await fixtureModelPath('fixed-B') },
      args: TOPICS,
    })
    expect(run.code, run.output).toBe(0)
    const correct = Object.fromEntries(run.results!.subjects.map((s) => [s.subject, [s.correct, s.total]]))
    const bs = async (t: string) => (await keys(t)).filter((k) => k === 'B').length
    expect(correct).toEqual({ two_options: [await bs('two_options'), 8], four_options: [await bs('four_options'), 8], ten_options: [await bs('ten_options'), 10] })
    expect(correct.ten_options![0]).toBe(2)
    // Ten letters compared for a ten-option question; seven for the one with three empty options.
    const ten = run.results!.records.filter((r) => r.subject === 'ten_options')
    expect(Object.keys(ten[0]!.probabilities!)).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'])
    expect(Object.keys(ten[6]!.probabilities!)).toHaveLength(7)
    expect(ten[6]).toMatchObject({ options: 7, given: 'B' })
    expect(run.output).toContain('5-shot (four_options 0-shot: no dev file)')
    // Custom categories are kept and shown.
    expect(run.results!.summary.categories.map((c) => c.category)).toEqual(['custom', 'true_false'])
    expect(run.output).toContain('Categories custom')
    expect(run.results!.config.inputs!.ten_options!.files!.map((f) => f.file)).toEqual(['fixtures/topics/ten_options/test.csv', 'fixtures/topics/ten_options/dev.csv'])
    // Chance is one over each question's options, averaged: (8 × 1/2 + 8 × 1/4 + 8 × 1/10 + 1/7 + 1/8) / 26.
    const chance = (8 / 2 + 8 / 4 + 8 / 10 + 1 / 7 + 1 / 8) / 26
    expect(run.results!.summary.notes.join('\n')).toContain(`includes chance (${+(chance * 100).toFixed(1)}%)`)
  })

  test('always-A on the 2-option set: the A keys exactly; generate scoring reads the letter too', async () => {
    // Reading the letter from the text is the harness's: the instant always-A engine replies " A" as the fixed-A GGUF does.
    const run = await runVitest(['fixtures/topics/two_options'], { env: { MMLU_ENGINE_MODULE: 'fixtures/engines/always-a.ts', MMLU_SCORING: 'generate', MMLU_MAX_TOKENS: '2' }, args: TOPICS })
    expect(run.code, run.output).toBe(0)
    expect(run.results!.summary).toMatchObject({ correct: (await keys('two_options')).filter((k) => k === 'A').length, questions: 8, invalid: 0 })
  })

  test('a malformed question set: the file and line, the fix, once; nothing else is lost', async () => {
    // Reading the set is the harness's: the instant always-A engine, no llama.cpp to load.
    const run = await runVitest(['fixtures/topics/broken', 'fixtures/topics/two_options'], { env: { MMLU_ENGINE_MODULE: 'fixtures/engines/always-a.ts' }, args: TOPICS })
    expect(run.code).toBe(1)
    // The file as the topic file names it, relative to the project root.
    expect(run.output).toContain(`✗ fixtures/topics/broken/test.csv:3: option B is empty but a later one is not. Fix: fill in every option, or leave only the last ones empty when a question has fewer options.`)
    expect(run.output).not.toMatch(/\n\s+at |Unhandled Error/)
    expect(run.results!.records.filter((r) => r.subject === 'two_options')).toHaveLength(8)
    expect(run.results!.summary.notRunSubjects).toEqual(['broken'])
  })
})

describe('thresholds by topic name', () => {
  test('a topic file’s name is accepted beside MMLU’s subjects; a misspelt one is still an error', async () => {
    const { parseThresholds } = await import('../src/gate/thresholds.js')
    expect(parseThresholds('{ "subjects": { "kitchen_science": 0.5 } }', 't.json', ['kitchen_science']).defaults.subjects).toEqual({ kitchen_science: 0.5 })
    expect(() => parseThresholds('{ "subjects": { "kitchen_sciense": 0.5 } }', 't.json', ['kitchen_science'])).toThrow(
      '"kitchen_sciense" is not an MMLU subject or a topic. Fix: use one of the names in src/dataset/subjects.ts or a topic file\'s name (kitchen_science).',
    )
  })

  test('the example set with its thresholds file: the gate checks the topic by name', async () => {
    // The gate is the harness's: the instant always-A engine answers as the fixed-A GGUF does.
    const run = await runVitest(['examples/kitchen_science'], { env: { MMLU_ENGINE_MODULE: 'fixtures/engines/always-a.ts', MMLU_THRESHOLDS: 'examples/kitchen_science/thresholds.json' } })
    const keysA = (await loadTopic({ name: 'kitchen_science', test: 'examples/kitchen_science/test.csv' }, process.cwd())).test.filter((q) => q.answer === 'A').length
    expect(run.results!.summary).toMatchObject({ questions: 12, correct: keysA })
    expect(run.output).toContain(`✗ kitchen_science  ${((keysA / 12) * 100).toFixed(1)}%`)
    expect(run.output).toContain('is below its threshold 50.0%')
    expect(run.code).toBe(1)
  })
})
