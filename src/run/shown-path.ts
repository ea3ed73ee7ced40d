import { isAbsolute, relative, sep } from 'node:path'

/**
 * A path as a user would type it from the current folder: relative when it is
 * inside (`reports/mmlu-results.json`), absolute otherwise. Printed paths and the
 * commands shown with them then run as written, and name no one's checkout.
 */
export function shownPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file)
  return (rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel).split(sep).join('/')
}
