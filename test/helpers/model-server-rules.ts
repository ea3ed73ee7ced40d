// Answer rules for the test model server that depend on the question in the
// prompt, and the same rules applied to the data, so a test knows the exact
// accuracy a run must report.
import type { Letter } from '../../fixtures/servers/model-server.js'
import type { Question } from '../../src/dataset/question.js'

const MARKERS = ['\nA. ', '\nB. ', '\nC. ', '\nD. ', '\nAnswer:'] as const

/** The four options of the prompt's last question, read from its end (choices may hold line breaks). */
export function lastChoices(prompt: string): [string, string, string, string] {
  const cuts: number[] = []
  let end = prompt.length
  for (let i = MARKERS.length - 1; i >= 0; i--) {
    const at = prompt.lastIndexOf(MARKERS[i] as string, end - 1)
    if (at < 0) throw new Error(`no "${JSON.stringify(MARKERS[i])}" in the prompt's last question`)
    cuts[i] = at
    end = at
  }
  return [0, 1, 2, 3].map((i) => prompt.slice((cuts[i] as number) + (MARKERS[i] as string).length, cuts[i + 1])) as [string, string, string, string]
}

function pick(choices: readonly string[], better: (a: number, b: number) => boolean): Letter {
  let best = 0
  for (let i = 1; i < 4; i++) if (better((choices[i] as string).length, (choices[best] as string).length)) best = i
  return 'ABCD'[best] as Letter
}

/** The letter of the longest option (the first on a tie). */
export const longestChoice = (choices: readonly string[]): Letter => pick(choices, (a, b) => a > b)
/** The letter of the shortest option (the first on a tie). */
export const shortestChoice = (choices: readonly string[]): Letter => pick(choices, (a, b) => a < b)

/** Server rules: apply a choice rule to the prompt's last question; a prompt with no question (a client's probe) gets A. */
export const byPrompt = (rule: (choices: readonly string[]) => Letter) => (prompt: string) => (prompt.includes('\nA. ') ? rule(lastChoices(prompt)) : 'A')

/** Questions a rule answers correctly. */
export const correctBy = (questions: readonly Question[], rule: (choices: readonly string[]) => Letter) => questions.filter((q) => rule(q.choices) === q.answer)
