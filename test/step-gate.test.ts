import { afterEach, describe, expect, test, vi } from 'vitest'
import { StepGate } from '../src/backends/step-gate.js'

afterEach(() => {
  vi.useRealTimers()
})

/** Arrives and records when the gate let it through. */
function arrival(gate: StepGate, name: string, log: string[]): Promise<void> {
  return gate.arrive().then(() => {
    log.push(name)
  })
}

describe('StepGate', () => {
  test('one question in flight goes straight through: no waiting for a timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const gate = new StepGate(1000)
    gate.enter()
    const log: string[] = []
    await arrival(gate, 'a', log)
    expect(log).toEqual(['a'])
    expect(vi.getTimerCount()).toBe(0)
  })

  test('holds each arrival until every question in flight has arrived, then lets them through together', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const gate = new StepGate(1000)
    for (let i = 0; i < 3; i++) gate.enter()
    const log: string[] = []
    const a = arrival(gate, 'a', log)
    const b = arrival(gate, 'b', log)
    await new Promise((r) => setImmediate(r))
    expect(log).toEqual([])
    expect(gate.queued).toBe(2)
    const c = arrival(gate, 'c', log)
    await Promise.all([a, b, c])
    expect(log).toEqual(['a', 'b', 'c'])
    expect(gate.queued).toBe(0)
    // The timer the first arrival set is gone, not left to fire later.
    expect(vi.getTimerCount()).toBe(0)
  })

  test('releases what waits after maxWaitMs when a question in flight never arrives', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const gate = new StepGate(5)
    gate.enter()
    gate.enter()
    const log: string[] = []
    const a = arrival(gate, 'a', log)
    await vi.advanceTimersByTimeAsync(4)
    await new Promise((r) => setImmediate(r))
    expect(log).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    await a
    expect(log).toEqual(['a'])
  })

  test('a question that leaves no longer holds the others back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const gate = new StepGate(1000)
    gate.enter()
    gate.enter()
    const log: string[] = []
    const a = arrival(gate, 'a', log)
    await new Promise((r) => setImmediate(r))
    expect(log).toEqual([])
    gate.leave()
    await a
    expect(log).toEqual(['a'])
    expect(vi.getTimerCount()).toBe(0)
  })

  test('a released group is let through in one macrotask, after work already queued', async () => {
    // node-llama-cpp checks its queue once a decode's results are handed out;
    // releasing on a later turn keeps the group from being split between two decodes.
    const gate = new StepGate(1000)
    gate.enter()
    const order: string[] = []
    const through = gate.arrive().then(() => order.push('released'))
    queueMicrotask(() => order.push('microtask'))
    await through
    expect(order).toEqual(['microtask', 'released'])
  })
})
