import { describe, expect, test } from 'vitest'
import type { Question } from '../src/dataset/question.js'
import { letterFromProbabilities, letterFromText, scoreAnswer } from '../src/scoring/scoring.js'

describe('scoring', () => {
  test('log-prob: argmax of the four letters, ties to the earlier letter', () => {
    expect(letterFromProbabilities({ A: 0.087, B: 0.644, C: 0.237, D: 0.032 })).toEqual({ letter: 'B' })
    expect(letterFromProbabilities({ A: 0.1, B: 0.1, C: 0.4, D: 0.4 })).toEqual({ letter: 'C' })
    // A letter missing from a server's top-k list is 0: the others still decide.
    expect(letterFromProbabilities({ A: 0, B: 0, C: 0, D: 0.02 })).toEqual({ letter: 'D' })
  })

  // No letter is not "A": before, the argmax started from A and such answers
  // counted as correct whenever the key was A (22.95% of the test split).
  test.each([
    [{ A: 0, B: 0, C: 0, D: 0 }, /no probability for any of the letters A-D/],
    [{ A: NaN, B: NaN, C: NaN, D: NaN }, /not a probability: A NaN, B NaN, C NaN, D NaN/],
    [{ A: 0.2, B: Infinity, C: 0.1, D: 0 }, /not a probability: B Infinity/],
    [{ A: 0.5, B: -0.1, C: 0.1, D: 0 }, /not a probability: B -0\.1/],
  ])('log-prob: %j has no letter; the reason is kept', (p, reason) => {
    const read = letterFromProbabilities(p)
    expect(read.letter).toBeNull()
    expect(read.reason).toMatch(reason)
  })

  test('a record of an answer without a letter is invalid, with the reason, whatever the key', () => {
    const q: Question = { subject: 'astronomy', split: 'test', index: 3, question: 'Q?', choices: ['a', 'b', 'c', 'd'], answer: 'A' }
    const raw = { probabilities: { A: 0, B: 0, C: 0, D: 0 }, text: ' The', promptTokens: 10, evaluatedTokens: 10, completionTokens: 1, startedAt: 0, latencyMs: 5 }
    const record = scoreAnswer(q, raw, 5)
    expect(record).toMatchObject({ given: null, outcome: 'invalid', expected: 'A' })
    expect(record.invalidReason).toMatch(/no probability for any of the letters A-D/)
    const generated = scoreAnswer(q, { ...raw, probabilities: undefined, text: ' The sun' }, 5)
    expect(generated).toMatchObject({ given: null, outcome: 'invalid' })
    expect(generated.invalidReason).toMatch(/no letter A-D/)
  })

  test.each([
    [' B', 'B'],
    ['C', 'C'],
    ['D. because', 'D'],
    [' (A) the first', 'A'],
    ['[B]', 'B'],
    ['\nC\n', 'C'],
    ['The answer is D.', 'D'],
    ['Answer: B', 'B'],
    ['answer:(C)', 'C'],
  ])('generate: %j → %s', (text, letter) => {
    expect(letterFromText(text)).toBe(letter)
  })

  test.each([[''], [' Because'], ['E'], ['the answer is a guess'], ['Apples']])('generate: %j is invalid', (text) => {
    expect(letterFromText(text)).toBeNull()
  })
})
