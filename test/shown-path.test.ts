// Paths printed after a run: as typed from the current folder, so that printed
// commands run as written and no output names the author's checkout.
import path from 'node:path'
import { expect, test } from 'vitest'
import { shownPath } from '../src/run/shown-path.js'

test('inside the current folder a path is relative, outside it stays absolute', () => {
  const cwd = path.resolve('/home/me/vitest-mmlu')
  expect(shownPath(path.join(cwd, 'reports', 'mmlu-results.json'), cwd)).toBe('reports/mmlu-results.json')
  expect(shownPath(path.resolve('/tmp/run/results.json'), cwd)).toBe(path.resolve('/tmp/run/results.json'))
  expect(shownPath(path.resolve('/home/me/other/r.json'), cwd)).toBe(path.resolve('/home/me/other/r.json'))
  expect(shownPath(cwd, cwd)).toBe(cwd)
})
