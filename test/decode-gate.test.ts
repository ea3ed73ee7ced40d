// The rules for what goes to llama.cpp together (src/backends/decode-gate.ts),
// with decodes that are promises the test settles itself.
import { afterEach, describe, expect, test, vi } from 'vitest'
import { DecodeGate, pickGroup } from '../src/backends/decode-gate.js'

afterEach(() => {
  vi.useRealTimers()
})

/** Lets queued macrotasks (the gate releases on one) and their microtasks run. */
const turn = () => new Promise<void>((r) => setImmediate(r))

/** A decode the test finishes by hand; `started` records the order decodes began in. */
function decodes(gate: DecodeGate) {
  const started: string[] = []
  const finish = new Map<string, () => void>()
  const run = (name: string, order: number, tokens: number) =>
    gate.decode(order, tokens, () => {
      started.push(name)
      return new Promise<string>((resolve) => finish.set(name, () => resolve(name)))
    })
  return { started, run, finish: (name: string) => finish.get(name)!() }
}

describe('pickGroup', () => {
  test('every one-token decode in sequence order, then the longer decode that arrived first; later ones wait', () => {
    const w = (order: number, tokens: number, arrived: number) => ({ order, tokens, arrived })
    const waiting = [w(2, 180, 0), w(3, 1, 1), w(0, 1, 2), w(1, 95, 3), w(4, 1, 4)]
    expect(pickGroup(waiting)).toEqual([w(0, 1, 2), w(3, 1, 1), w(4, 1, 4), w(2, 180, 0)])
    expect(pickGroup([w(1, 40, 1), w(0, 30, 2)])).toEqual([w(1, 40, 1)])
    expect(pickGroup([])).toEqual([])
  })
})

describe('DecodeGate', () => {
  test('one question in flight goes straight through, with no timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const gate = new DecodeGate(1000)
    gate.enter()
    await expect(gate.decode(0, 50, async () => 'done')).resolves.toBe('done')
    expect(vi.getTimerCount()).toBe(0)
  })

  test('holds decodes until every question in flight waits for one, then lets them through in sequence order', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const gate = new DecodeGate(1000)
    for (let i = 0; i < 3; i++) gate.enter()
    const d = decodes(gate)
    const all = [d.run('seq 2', 2, 1), d.run('seq 0', 0, 1)]
    await turn()
    expect(d.started).toEqual([])
    all.push(d.run('seq 1', 1, 1))
    await turn()
    expect(d.started).toEqual(['seq 0', 'seq 1', 'seq 2'])
    for (const name of ['seq 0', 'seq 1', 'seq 2']) d.finish(name)
    await expect(Promise.all(all)).resolves.toEqual(['seq 2', 'seq 0', 'seq 1'])
    expect(gate.stats).toEqual({ groups: 1, decodes: 3 })
    expect(vi.getTimerCount()).toBe(0)
  })

  test('one prompt per group, and the next group only after this one is done', async () => {
    const gate = new DecodeGate(1000)
    for (let i = 0; i < 3; i++) gate.enter()
    const d = decodes(gate)
    d.run('prompt 0', 0, 120)
    d.run('prompt 1', 1, 90)
    d.run('step 2', 2, 1)
    await turn()
    expect(d.started).toEqual(['step 2', 'prompt 0'])
    // prompt 1 waits while the group is in flight, even after part of it is done.
    d.finish('step 2')
    await turn()
    expect(d.started).toEqual(['step 2', 'prompt 0'])
    d.finish('prompt 0')
    await turn()
    // The other two questions still count as in flight until they ask again or leave.
    expect(d.started).toEqual(['step 2', 'prompt 0'])
    gate.leave()
    gate.leave()
    await turn()
    await turn()
    expect(d.started).toEqual(['step 2', 'prompt 0', 'prompt 1'])
  })

  test('lets waiting decodes through after maxWaitMs when a question in flight never asks for one', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const gate = new DecodeGate(5)
    gate.enter()
    gate.enter()
    const d = decodes(gate)
    d.run('seq 0', 0, 1)
    await vi.advanceTimersByTimeAsync(4)
    await turn()
    expect(d.started).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    await turn()
    expect(d.started).toEqual(['seq 0'])
  })

  test('a question that leaves no longer holds the others back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const gate = new DecodeGate(1000)
    gate.enter()
    gate.enter()
    const d = decodes(gate)
    d.run('seq 0', 0, 1)
    await turn()
    expect(d.started).toEqual([])
    gate.leave()
    await turn()
    expect(d.started).toEqual(['seq 0'])
    expect(vi.getTimerCount()).toBe(0)
  })

  test('a decode that throws still frees the gate for the next group', async () => {
    const gate = new DecodeGate(1000)
    gate.enter()
    await expect(gate.decode(0, 1, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    await expect(gate.decode(0, 1, async () => 'next')).resolves.toBe('next')
  })

  test('a group is let through on a later turn, after work already queued', async () => {
    // node-llama-cpp checks its queue once a decode's results are handed out;
    // releasing on a later turn keeps a group from being split between two decodes.
    const gate = new DecodeGate(1000)
    gate.enter()
    const order: string[] = []
    const through = gate.decode(0, 1, async () => order.push('decode'))
    queueMicrotask(() => order.push('microtask'))
    await through
    expect(order).toEqual(['microtask', 'decode'])
  })
})
