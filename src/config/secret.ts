// The API key and any other value that must never be printed or written.
/** A value that must never be printed: logs, JSON and `util.inspect` all see `[redacted]`. */
export class Secret {
  readonly #value: string
  constructor(value: string) {
    this.#value = value
  }
  reveal(): string {
    return this.#value
  }
  toString(): string {
    return '[redacted]'
  }
  toJSON(): string {
    return '[redacted]'
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret([redacted])'
  }
}
