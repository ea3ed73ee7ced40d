import { describe, expect, test } from 'vitest'
import { letterFromProbabilities, letterFromText } from '../src/scoring.js'

describe('scoring', () => {
  test('log-prob: argmax of the four letters, ties to the earlier letter', () => {
    expect(letterFromProbabilities({ A: 0.087, B: 0.644, C: 0.237, D: 0.032 })).toBe('B')
    expect(letterFromProbabilities({ A: 0.1, B: 0.1, C: 0.4, D: 0.4 })).toBe('C')
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
