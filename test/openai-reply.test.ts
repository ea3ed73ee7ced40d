// What the OpenAI-compatible backend accepts as a reply. Servers send errors with
// HTTP 200 too, and a proxy may answer with a page: such a body is an error with
// what the server said, never an empty answer (which would count as invalid, be
// cached, and exit 0). End to end: test/servers-integrity.test.ts.
import { describe, expect, test } from 'vitest'
import { checkedAlternatives, firstChoice } from '../src/backends/openai.js'

describe('firstChoice', () => {
  test('a completion gives its first choice', () => {
    expect(firstChoice({ choices: [{ index: 0, text: ' B' }] })).toEqual({ index: 0, text: ' B' })
  })

  test.each([
    ['an OpenAI-style error object', { error: { message: 'CUDA out of memory', type: 'InternalServerError', code: 500 } }, 'CUDA out of memory'],
    ["vLLM's error shape", { object: 'error', message: 'maximum context length exceeded', type: 'BadRequestError', code: 400 }, 'maximum context length exceeded'],
    ['an error string', { error: 'model runner has unexpectedly stopped' }, 'model runner has unexpectedly stopped'],
    ["a proxy's page", '<html><body>502 Bad Gateway</body></html>', '502 Bad Gateway'],
    ['no choices', { choices: [] }, '{"choices":[]}'],
    ['a null choice', { choices: [null] }, '{"choices":[null]}'],
  ])('%s is an error saying so, with what came back', (_what, body, said) => {
    expect(() => firstChoice(body)).toThrow(/^the reply is not a completion \(no choices\[0\]\): /)
    expect(() => firstChoice(body)).toThrow(said)
  })
})

describe('checkedAlternatives', () => {
  test('{token, logprob} entries pass; none at all is left to the caller (no log-probs)', () => {
    const top = [{ token: 'B', logprob: -0.1 }, { token: 'A', logprob: -9999 }]
    expect(checkedAlternatives(top)).toBe(top)
    expect(checkedAlternatives(undefined)).toBeUndefined()
  })

  test('a null or a token without a number is a malformed reply, not a TypeError later', () => {
    expect(() => checkedAlternatives([null as never])).toThrow("top_logprobs hold an entry that is not {token, logprob}: [null]")
    expect(() => checkedAlternatives([{ token: 'B', logprob: null as never }])).toThrow('not {token, logprob}')
  })
})
