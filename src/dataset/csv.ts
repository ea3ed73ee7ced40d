// Reads one MMLU split file (`<subject>_<split>.csv`) in either dialect:
// - original (Hendrycks data.tar): no header; question, A, B, C, D, answer letter A-D;
// - Hugging Face (cais/mmlu export): a header row, then the same columns with an answer index 0-3.
// The dialect is decided by the first record. Text is kept exactly as written (no trimming);
// only the answer cell is trimmed before it is checked.

import { CsvError, parse } from 'csv-parse/sync'
import type { InfoRecord } from 'csv-parse/sync'
import { DatasetError } from './errors.js'
import type { Letter, Question, Split } from './question.js'
import type { Subject } from './subjects.js'

export type Dialect = 'original' | 'hf'

/** The header rows of the Hugging Face export that are recognised. */
export const HF_HEADERS = [
  ['question', 'choice0', 'choice1', 'choice2', 'choice3', 'answer'],
  ['question', 'A', 'B', 'C', 'D', 'answer'],
] as const

const COLUMNS = 6
const HF_ANSWERS: Readonly<Record<string, Letter>> = { '0': 'A', '1': 'B', '2': 'C', '3': 'D' }
const ORIGINAL_ANSWERS: Readonly<Record<string, Letter>> = { A: 'A', B: 'B', C: 'C', D: 'D' }

const QUOTING_FIX =
  'quote a field that contains a comma, a quote or a line break ("like, this"), and write each quote inside a quoted field twice ("say ""hi""")'

const LF = 0x0a
const CR = 0x0d

/**
 * Follows the parser through the bytes to give the line where each record starts
 * (csv-parse's own `info.lines` is the line where a record ends, and it miscounts
 * CRLF inside quoted fields). CRLF, LF and a lone CR each end one line.
 */
class LineCounter {
  private pos = 0
  private line = 1

  constructor(private readonly bytes: Uint8Array) {}

  /** The line of the next record: skips the blank lines the parser skips. */
  nextRecordLine(): number {
    const b = this.bytes
    while (this.pos < b.length && (b[this.pos] === LF || b[this.pos] === CR)) this.step()
    return this.line
  }

  /** Moves to byte offset `end` (the end of the record just parsed). */
  advanceTo(end: number): void {
    while (this.pos < end) this.step()
  }

  private step(): void {
    const c = this.bytes[this.pos]
    if (c === LF || (c === CR && this.bytes[this.pos + 1] !== LF)) this.line++
    this.pos++
  }
}

function isHeaderLike(record: readonly string[]): boolean {
  return record[0]?.trim().toLowerCase() === 'question'
}

function isKnownHeader(record: readonly string[]): boolean {
  return HF_HEADERS.some(
    (header) => header.length === record.length && header.every((name, i) => record[i]?.trim() === name),
  )
}

function answerError(file: string, line: number, dialect: Dialect, raw: string): DatasetError {
  const value = raw.trim()
  if (dialect === 'hf') {
    const letterHint = Object.hasOwn(ORIGINAL_ANSWERS, value.toUpperCase())
      ? ', or remove the header row if the whole file uses answer letters (original dialect)'
      : ''
    return new DatasetError({
      code: 'answer',
      file,
      line,
      problem: `answer must be an index 0-3 (Hugging Face dialect: the file has a header), found ${JSON.stringify(raw)}`,
      fix: `write the index of the right choice in the last column (0 for A, 1 for B, 2 for C, 3 for D)${letterHint}`,
    })
  }
  const indexHint = Object.hasOwn(HF_ANSWERS, value)
    ? ', or add the header question,choice0,choice1,choice2,choice3,answer if the whole file uses indexes 0-3 (Hugging Face dialect)'
    : ''
  return new DatasetError({
    code: 'answer',
    file,
    line,
    problem: `answer must be a letter A-D (original dialect: the file has no header), found ${JSON.stringify(raw)}`,
    fix: `write the letter of the right choice (A, B, C or D) in the last column${indexHint}`,
  })
}

function syntaxError(file: string, line: number, err: CsvError): DatasetError {
  const problem =
    err.code === 'CSV_QUOTE_NOT_CLOSED'
      ? 'a quoted field that starts in this record is never closed'
      : `malformed CSV (${err.message})`
  return new DatasetError({ code: 'csv-syntax', file, line, problem, fix: QUOTING_FIX })
}

/**
 * Parses the text of one split file into questions. `file` is only used in error
 * messages. Throws a `DatasetError` naming `file` and the line where the bad
 * record starts.
 */
export function parseSplitFile(
  text: string | Uint8Array,
  file: string,
  subject: Subject,
  split: Split,
): Question[] {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text
  const lines = new LineCounter(bytes)
  const questions: Question[] = []
  let dialect: Dialect | undefined

  const onRecord = (record: string[], info: InfoRecord): null => {
    const line = lines.nextRecordLine()
    lines.advanceTo(info.bytes)

    if (dialect === undefined) {
      if (isHeaderLike(record)) {
        if (!isKnownHeader(record)) {
          throw new DatasetError({
            code: 'header',
            file,
            line,
            problem: `unrecognised header ${JSON.stringify(record.join(','))}`,
            fix: `use the Hugging Face header ${HF_HEADERS[0].join(',')} (or ${HF_HEADERS[1].join(',')}) with answers 0-3, or no header with answers A-D (original dialect)`,
          })
        }
        dialect = 'hf'
        return null
      }
      dialect = 'original'
    }

    if (record.length !== COLUMNS) {
      throw new DatasetError({
        code: 'columns',
        file,
        line,
        problem: `expected ${COLUMNS} columns (question, 4 choices, answer), found ${record.length}`,
        fix: `give each question exactly ${COLUMNS} fields; ${QUOTING_FIX}`,
      })
    }
    const [question, a, b, c, d, rawAnswer] = record as [string, string, string, string, string, string]
    if (question.trim() === '') {
      throw new DatasetError({
        code: 'empty-question',
        file,
        line,
        problem: 'empty question',
        fix: 'write the question text in the first column, or delete the row',
      })
    }
    const table = dialect === 'hf' ? HF_ANSWERS : ORIGINAL_ANSWERS
    const key = rawAnswer.trim()
    const answer = Object.hasOwn(table, key) ? table[key] : undefined
    if (answer === undefined) throw answerError(file, line, dialect, rawAnswer)

    questions.push({ subject, split, index: questions.length, question, choices: [a, b, c, d], answer })
    return null
  }

  try {
    parse(bytes, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      on_record: onRecord,
    })
  } catch (err) {
    if (err instanceof CsvError) throw syntaxError(file, lines.nextRecordLine(), err)
    throw err
  }

  if (questions.length === 0) {
    throw new DatasetError({
      code: 'empty-file',
      file,
      problem: dialect === 'hf' ? 'the file has a header but no questions' : 'the file is empty',
      fix: 'restore the file from the MMLU release (one question per row), or delete it if the subject is not wanted',
    })
  }
  return questions
}
