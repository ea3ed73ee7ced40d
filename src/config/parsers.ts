// The shapes a setting's value can take (a whole number in a range, one of a
// few words, on/off, a list), each parsed strictly with one message that names
// the variable. The table of options (options.ts) builds every setting from these.
import { decimalNumber, wholeNumber } from '../base/strict-number.js'

export class OptionsError extends Error {
  override name = 'OptionsError'
}

export type Env = Record<string, string | undefined>

export interface Definition<T> {
  env: string
  help: string
  parse(raw: string | undefined, env: Env): T
}

export function integer(env: string, min: number, max: number, fallback: number | undefined) {
  return (raw: string | undefined): number => {
    if (raw === undefined || raw.trim() === '') {
      if (fallback === undefined) throw new OptionsError(`${env} is required`)
      return fallback
    }
    const n = wholeNumber(raw)
    if (n === undefined || n < min || n > max) {
      throw new OptionsError(`${env}=${JSON.stringify(raw)} is not valid: expected a whole number from ${min} to ${max}.`)
    }
    return n
  }
}

export function optionalInteger(env: string, min: number, max: number) {
  const parse = integer(env, min, max, 0)
  return (raw: string | undefined): number | undefined => (raw === undefined || raw.trim() === '' ? undefined : parse(raw))
}

export function oneOf<T extends string>(env: string, values: readonly T[], fallback: T | undefined) {
  return (raw: string | undefined): T | undefined => {
    if (raw === undefined || raw.trim() === '') return fallback
    const v = raw.trim().toLowerCase()
    if ((values as readonly string[]).includes(v)) return v as T
    throw new OptionsError(`${env}=${JSON.stringify(raw)} is not valid: expected one of ${values.join(', ')}.`)
  }
}

export function text(fallback: string | undefined) {
  return (raw: string | undefined): string | undefined => (raw === undefined || raw.trim() === '' ? fallback : raw.trim())
}

/** A decimal number in [min, max]; `open` excludes both ends. */
export function decimal(env: string, min: number, max: number, fallback: number | undefined, hint: string, open = false) {
  return (raw: string | undefined): number | undefined => {
    if (raw === undefined || raw.trim() === '') return fallback
    const n = decimalNumber(raw)
    if (n === undefined || !Number.isFinite(n) || (open ? n <= min || n >= max : n < min || n > max)) {
      throw new OptionsError(`${env}=${JSON.stringify(raw)} is not valid: expected a number ${open ? 'between' : 'from'} ${min} ${open ? 'and' : 'to'} ${max} (${hint}).`)
    }
    return n
  }
}

/** A comma-separated list, each entry parsed by `one`; empty entries and repeats are errors naming the variable. */
export function list<T>(env: string, one: (raw: string) => T, key: (t: T) => string = String) {
  return (raw: string): T[] => {
    const parts = raw.split(',').map((p) => p.trim())
    if (parts.length > 1 && parts.some((p) => p === '')) throw new OptionsError(`${env}=${JSON.stringify(raw)} is not valid: an empty entry in the comma-separated list.`)
    const out = parts.filter((p) => p !== '').map(one)
    const seen = new Set<string>()
    for (const t of out) {
      if (seen.has(key(t))) throw new OptionsError(`${env}=${JSON.stringify(raw)} is not valid: ${key(t)} is listed twice.`)
      seen.add(key(t))
    }
    return out
  }
}

/** The words every yes/no setting takes, any case, spaces around ignored; shown in docs/options.md. */
export const YES_WORDS = ['on', '1', 'true', 'yes'] as const
export const NO_WORDS = ['off', '0', 'false', 'no'] as const
export const YES_NO_WORDS = 'on or off (or 1/0, true/false, yes/no)'

/** A yes/no setting: one vocabulary for all of them; unset (or empty) is `fallback`. */
export function yesNo(env: string, fallback = false) {
  return (raw: string | undefined): boolean => {
    if (raw === undefined || raw.trim() === '') return fallback
    const v = raw.trim().toLowerCase()
    if ((YES_WORDS as readonly string[]).includes(v)) return true
    if ((NO_WORDS as readonly string[]).includes(v)) return false
    throw new OptionsError(`${env}=${JSON.stringify(raw)} is not valid: expected ${YES_NO_WORDS}.`)
  }
}
