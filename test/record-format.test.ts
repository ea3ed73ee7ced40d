// The probabilities shown with each answer (the UI's "answer" annotation):
// enough digits to tell the four letters apart.
import { describe, expect, test } from 'vitest'
import { formatProbabilities } from '../src/base/record.js'

describe('formatProbabilities', () => {
  test('three decimals where they tell the letters apart', () => {
    expect(formatProbabilities([0.0871, 0.6439, 0.2369, 0.0321])).toEqual(['0.087', '0.644', '0.237', '0.032'])
    expect(formatProbabilities([0, 1, 0, 0])).toEqual(['0.000', '1.000', '0.000', '0.000'])
  })

  test('values near 3e-5 are not four 0.000s: exponent form, with the digits that separate them', () => {
    expect(formatProbabilities([3.1234e-5, 2.9871e-5, 3.0502e-5, 3.3e-5])).toEqual(['3.12e-5', '2.99e-5', '3.05e-5', '3.30e-5'])
    expect(formatProbabilities([3.1234e-5, 3.1239e-5, 0.5, 0.4999])).toEqual(['3.123e-5', '3.124e-5', '0.5000', '0.4999'])
  })

  test('equal values stay equal; a broken value is shown as it is', () => {
    expect(formatProbabilities([0.25, 0.25, 0.25, 0.25])).toEqual(['0.250', '0.250', '0.250', '0.250'])
    expect(formatProbabilities([NaN, 0.5, 0.5, Infinity])).toEqual(['NaN', '0.500', '0.500', 'Infinity'])
  })
})
