// One error type for everything that can be wrong with a copy of the data. The
// message always says where (file, and line when there is one), what is wrong,
// and how to fix it:
//   fixtures/x_test.csv:7: expected 6 columns (question, 4 choices, answer), found 5. Fix: …

export type DatasetErrorCode =
  | 'missing-file'
  | 'empty-file'
  | 'csv-syntax'
  | 'encoding'
  | 'header'
  | 'columns'
  | 'answer'
  | 'empty-question'
  | 'unknown-subject'
  | 'incomplete'

export interface DatasetErrorInit {
  code: DatasetErrorCode
  /** The file the problem is in (or the file that was expected). */
  file: string
  /** 1-based line where the offending record starts. */
  line?: number
  /** What is wrong, without a final period. */
  problem: string
  /** How to fix it, without a final period. */
  fix: string
}

export class DatasetError extends Error {
  override readonly name = 'DatasetError'
  readonly code: DatasetErrorCode
  readonly file: string
  readonly line?: number
  readonly problem: string
  readonly fix: string

  constructor(init: DatasetErrorInit) {
    const where = init.line === undefined ? init.file : `${init.file}:${init.line}`
    super(`${where}: ${init.problem}. Fix: ${init.fix}.`)
    this.code = init.code
    this.file = init.file
    if (init.line !== undefined) this.line = init.line
    this.problem = init.problem
    this.fix = init.fix
  }
}
