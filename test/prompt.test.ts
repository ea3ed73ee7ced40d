import { describe, expect, test } from 'vitest'
import { loadSubject } from '../src/dataset/load.js'
import type { Question } from '../src/dataset/question.js'
import { buildPrompt, chatMessages, fewShotPrefix, formatQuestion, promptText, pyStrip } from '../src/prompt/prompt.js'

// Golden strings pin the lm-evaluation-harness template byte for byte, on the
// project's own fixture questions (never on MMLU text).
const { dev, test: questions } = await loadSubject('fixtures/mmlu/hf', 'astronomy', { allowPartial: true })
const first = questions[0]!

const GOLDEN_0_SHOT =
  'The following are multiple choice questions (with answers) about astronomy.\n\n' +
  'How many planets orbit the Sun under the definition adopted by the IAU in 2006?\nA. 7\nB. 9\nC. 8\nD. 10\nAnswer:'

const GOLDEN_5_SHOT =
  'The following are multiple choice questions (with answers) about astronomy.\n\n' +
  'Which planet is closest to the Sun?\nA. Mercury\nB. Venus\nC. Earth\nD. Mars\nAnswer: A\n\n' +
  'Roughly how long does sunlight take to travel from the Sun to Earth?\nA. About 8 seconds\nB. About 8 minutes\nC. About 8 hours\nD. About 8 days\nAnswer: B\n\n' +
  'What is the name of the galaxy that the Solar System belongs to?\nA. Andromeda\nB. Triangulum\nC. The Milky Way\nD. The Large Magellanic Cloud\nAnswer: C\n\n' +
  'Which element makes up most of the mass of the Sun?\nA. Helium\nB. Oxygen\nC. Carbon\nD. Hydrogen\nAnswer: D\n\n' +
  "Why does the Moon show phases when seen from Earth?\nA. Earth's shadow covers a different part of it each night\nB. We see a changing share of its sunlit half as it orbits Earth\nC. Clouds on the Moon hide part of its surface\nD. The Moon gives off less light at some times of the month\nAnswer: B\n\n" +
  'How many planets orbit the Sun under the definition adopted by the IAU in 2006?\nA. 7\nB. 9\nC. 8\nD. 10\nAnswer:'

describe('lm-eval MMLU prompt', () => {
  test('0-shot equals the golden string', () => {
    expect(promptText(buildPrompt('astronomy', dev, first, 0))).toBe(GOLDEN_0_SHOT)
  })

  test('5-shot equals the golden string', () => {
    expect(promptText(buildPrompt('astronomy', dev, first, 5))).toBe(GOLDEN_5_SHOT)
  })

  test('prefix is shared by every question and ends where the question starts', () => {
    const a = buildPrompt('astronomy', dev, questions[0]!, 5)
    const b = buildPrompt('astronomy', dev, questions[1]!, 5)
    expect(a.prefix).toBe(b.prefix)
    expect(a.prefix.endsWith('Answer: B\n\n')).toBe(true)
    expect(a.suffix).toBe(formatQuestion(questions[0]!))
  })

  test('subject underscores become spaces in the header; k from 0 to 5', () => {
    expect(fewShotPrefix('high_school_us_history', [], 0)).toBe('The following are multiple choice questions (with answers) about high school us history.\n\n')
    expect(() => fewShotPrefix('astronomy', dev, 6)).toThrow(/0-5/)
    expect(() => fewShotPrefix('astronomy', dev.slice(0, 2), 3)).toThrow(/needs 3 dev questions/)
  })

  test('the question is stripped like Python str.strip(); choices are kept as they are', () => {
    expect(pyStrip('\n\t Q? \u3000')).toBe('Q?')
    expect(pyStrip('\uFEFFQ')).toBe('\uFEFFQ') // Python does not strip U+FEFF
    expect(formatQuestion({ question: '  Why?\n', choices: [' a', 'b ', 'c', 'd'] })).toBe('Why?\nA.  a\nB. b \nC. c\nD. d\nAnswer:')
  })
})

describe('the prompt as chat turns (MMLU_PROMPT_FORMAT=chat, issue 21 item 5)', () => {
  const dev: Question[] = [0, 1, 2].map((i) => ({ subject: 'astronomy', split: 'dev', index: i, question: ` Example ${i}? `, choices: ['w', 'x', 'y', 'z'], answer: (['B', 'D', 'A'] as const)[i]! }))
  const question: Question = { subject: 'astronomy', split: 'test', index: 0, question: 'Which?', choices: ['p', 'q', 'r', 's'], answer: 'C' }

  test('each example a user turn (the header opens the first) and its letter the assistant turn; the question last', () => {
    const turns = chatMessages(buildPrompt('astronomy', dev, question, 2))
    expect(turns).toEqual([
      { role: 'user', content: 'The following are multiple choice questions (with answers) about astronomy.\n\nExample 0?\nA. w\nB. x\nC. y\nD. z\nAnswer:' },
      { role: 'assistant', content: 'B' },
      { role: 'user', content: 'Example 1?\nA. w\nB. x\nC. y\nD. z\nAnswer:' },
      { role: 'assistant', content: 'D' },
      { role: 'user', content: 'Which?\nA. p\nB. q\nC. r\nD. s\nAnswer:' },
    ])
    // The same words as the raw prompt: the turns joined as lm-eval joins its examples give it back.
    const joined = turns.map((t) => (t.role === 'assistant' ? ` ${t.content}\n\n` : t.content)).join('')
    expect(joined).toBe(promptText(buildPrompt('astronomy', dev, question, 2)))
  })

  test('0-shot, or a prompt without its examples: one user message, the whole prompt', () => {
    const zero = buildPrompt('astronomy', dev, question, 0)
    expect(chatMessages(zero)).toEqual([{ role: 'user', content: promptText(zero) }])
    const bare = { prefix: 'P\n\n', suffix: 'Q', shots: 1 }
    expect(chatMessages(bare)).toEqual([{ role: 'user', content: 'P\n\nQ' }])
  })
})
