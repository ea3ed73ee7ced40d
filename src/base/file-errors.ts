// A bad gate input (thresholds file, baseline file, accept command). Like
// DatasetError, the message says where, what is wrong and how to fix it:
//   mmlu.thresholds.json:4: "astronmy" is not an MMLU subject. Fix: did you mean astronomy?
export interface GateConfigErrorInit {
  /** The file (or setting) the problem is in. */
  file: string
  /** 1-based line, when the problem is at a known place in the file. */
  line?: number
  /** What is wrong, without a final period. */
  problem: string
  /** How to fix it, without a final period. */
  fix: string
}

export class GateConfigError extends Error {
  override readonly name = 'GateConfigError'
  // Private, not own properties: Vitest prints an error's own properties after
  // its message, and the message already says it all.
  readonly #file: string
  readonly #line: number | undefined

  constructor(init: GateConfigErrorInit) {
    const where = init.line === undefined ? init.file : `${init.file}:${init.line}`
    super(`${where}: ${init.problem}. Fix: ${init.fix}.`)
    this.#file = init.file
    this.#line = init.line
    // Thrown before a run starts: Vitest prints the stack, which says nothing the message does not.
    this.stack = `${this.name}: ${this.message}`
  }

  get file(): string {
    return this.#file
  }

  get line(): number | undefined {
    return this.#line
  }
}

/** 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++
  return line
}

/**
 * Parses JSON, turning a syntax error into a GateConfigError with its line.
 * V8 reports "... at position N" (Node 20) or "(line L column C)" (newer).
 */
export function parseJsonFile(text: string, file: string, fix: string): unknown {
  try {
    return JSON.parse(text)
  } catch (e) {
    const message = (e as Error).message
    const lineCol = /line (\d+) column \d+/.exec(message)
    const position = /position (\d+)/.exec(message)
    const line = lineCol ? Number(lineCol[1]) : position ? lineAt(text, Number(position[1])) : undefined
    throw new GateConfigError({ file, line, problem: `not valid JSON (${message.replace(/\s*\(line \d+ column \d+\)|\s+in JSON at position \d+/, '')})`, fix })
  }
}
