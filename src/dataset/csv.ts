// Reads one split file in either dialect:
// - original (Hendrycks data.tar): no header; question, A, B, C, D, answer letter A-D;
// - Hugging Face (cais/mmlu export): a header row, then the same columns with an answer index 0-3.
// The dialect is decided by the first record. Text is kept exactly as written (no trimming);
// only the answer cell is trimmed before it is checked.
//
// MMLU's files have four options per question, exactly. A question set of your
// own may have 2 to 10 (letters A-J): the header names the options
// (question,choice0,…,choice9,answer or question,A,…,J,answer), or without a
// header the first row's count of columns says it, for every row (a different
// count is an error: an unquoted comma must not move a key). A row may leave its
// last options empty when it has fewer than the header names (MMLU-Pro style).

import { CsvError, parse } from 'csv-parse/sync'
import type { InfoRecord } from 'csv-parse/sync'
import { DatasetError } from './errors.js'
import type { Letter, Question, Split } from './question.js'
import { LETTERS, lettersOf, MAX_OPTIONS, MIN_OPTIONS, MMLU_OPTIONS } from './question.js'

export type Dialect = 'original' | 'hf'

/** The two header forms for `n` options: `choice0…` or `A…`. */
export function headersFor(n: number): string[][] {
  return [['question', ...Array.from({ length: n }, (_, i) => `choice${i}`), 'answer'], ['question', ...lettersOf(n), 'answer']]
}

/** The header rows of the Hugging Face export of MMLU that are recognised. */
export const HF_HEADERS = headersFor(MMLU_OPTIONS) as [string[], string[]]

export interface ParseOptions {
  /** Options every question must have (MMLU: 4); undefined: 2 to 10, as the header or the columns say. */
  options?: number
}

const indexAnswers = (n: number): Readonly<Record<string, Letter>> => Object.fromEntries(lettersOf(n).map((l, i) => [String(i), l]))
const letterAnswers = (n: number): Readonly<Record<string, Letter>> => Object.fromEntries(lettersOf(n).map((l) => [l, l]))
const letterList = (n: number) => {
  const ls = lettersOf(n)
  return `${ls.slice(0, -1).join(', ')} or ${ls.at(-1)}`
}

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

/** The number of options a header names, or undefined when it is not a recognised header (within `allowed`). */
function headerOptions(record: readonly string[], allowed: readonly number[]): number | undefined {
  const n = record.length - 2
  if (!allowed.includes(n)) return undefined
  return headersFor(n).some((header) => header.every((name, i) => record[i]?.trim() === name)) ? n : undefined
}

function answerError(file: string, line: number, dialect: Dialect, raw: string, n: number): DatasetError {
  const value = raw.trim()
  const last = LETTERS[n - 1]
  if (dialect === 'hf') {
    const letterHint = Object.hasOwn(letterAnswers(n), value.toUpperCase())
      ? ', or remove the header row if the whole file uses answer letters (original dialect)'
      : ''
    return new DatasetError({
      code: 'answer',
      file,
      line,
      problem: `answer must be an index 0-${n - 1} (Hugging Face dialect: the file has a header), found ${JSON.stringify(raw)}`,
      fix: `write the index of the right choice in the last column (${lettersOf(n).map((l, i) => `${i} for ${l}`).join(', ')})${letterHint}`,
    })
  }
  const indexHint = Object.hasOwn(indexAnswers(n), value)
    ? `, or add the header ${headersFor(n)[0]!.join(',')} if the whole file uses indexes 0-${n - 1} (Hugging Face dialect)`
    : ''
  return new DatasetError({
    code: 'answer',
    file,
    line,
    problem: `answer must be a letter A-${last} (original dialect: the file has no header), found ${JSON.stringify(raw)}`,
    fix: `write the letter of the right choice (${letterList(n)}) in the last column${indexHint}`,
  })
}

function syntaxError(file: string, line: number, err: CsvError): DatasetError {
  const problem =
    err.code === 'CSV_QUOTE_NOT_CLOSED'
      ? 'a quoted field that starts in this record is never closed'
      : `malformed CSV (${err.message})`
  return new DatasetError({ code: 'csv-syntax', file, line, problem, fix: QUOTING_FIX })
}

/** Questions and the line each starts on (for messages such as duplicate warnings). */
export interface ParsedSplit {
  questions: Question[]
  lines: number[]
}

/**
 * Parses the text of one split file into questions. `file` is only used in error
 * messages. Throws a `DatasetError` naming `file` and the line where the bad
 * record starts. MMLU files (the default) must have four options per question.
 */
export function parseSplitFile(text: string | Uint8Array, file: string, subject: string, split: Split, opts: ParseOptions = { options: MMLU_OPTIONS }): Question[] {
  return parseSplit(text, file, subject, split, opts).questions
}

/**
 * The line of the first byte that is not UTF-8, if any: csv-parse would read it as
 * U+FFFD and the model would be asked other text. A UTF-16LE file with its BOM is
 * left to csv-parse, which decodes it.
 */
function notUtf8Line(bytes: Uint8Array): number | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return undefined
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  const bad = text.indexOf('\uFFFD')
  if (bad < 0 || Buffer.from(text, 'utf8').equals(bytes)) return undefined
  return text.slice(0, bad).split(/\r\n|\r|\n/).length
}

export function parseSplit(text: string | Uint8Array, file: string, subject: string, split: Split, opts: ParseOptions = { options: MMLU_OPTIONS }): ParsedSplit {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text
  const lines = new LineCounter(bytes)
  const questions: Question[] = []
  const starts: number[] = []
  let dialect: Dialect | undefined
  /** Options named by the header (hf dialect). */
  let named: number | undefined
  // Without a header: the first question's line and count of columns, which every row must have.
  let firstLine: number | undefined
  let firstColumns: number | undefined
  const fixed = opts.options
  const allowed = fixed !== undefined ? [fixed] : Array.from({ length: MAX_OPTIONS - MIN_OPTIONS + 1 }, (_, i) => MIN_OPTIONS + i)
  const range = fixed !== undefined ? `${fixed}` : `${MIN_OPTIONS} to ${MAX_OPTIONS}`

  const onRecord = (record: string[], info: InfoRecord): null => {
    const line = lines.nextRecordLine()
    lines.advanceTo(info.bytes)

    if (dialect === undefined) {
      if (isHeaderLike(record)) {
        named = headerOptions(record, allowed)
        if (named === undefined) {
          const [choices, letters] = fixed !== undefined ? headersFor(fixed) : [['question', 'choice0', '…', 'choice9', 'answer'], ['question', 'A', '…', 'J', 'answer']]
          throw new DatasetError({
            code: 'header',
            file,
            line,
            problem: `unrecognised header ${JSON.stringify(record.join(','))}`,
            fix:
              fixed !== undefined
                ? `use the Hugging Face header ${choices!.join(',')} (or ${letters!.join(',')}) with answers 0-${fixed - 1}, or no header with answers A-${LETTERS[fixed - 1]} (original dialect)`
                : `name the question, ${range} options and the answer: ${choices!.join(',')} (or ${letters!.join(',')}) with answers as indexes from 0, or no header with answer letters (original dialect)`,
          })
        }
        dialect = 'hf'
        return null
      }
      dialect = 'original'
    }

    // The header names the columns; without one, the first row's count does, for every row: a
    // comma left unquoted in one row would otherwise add an option there and move its key.
    firstLine ??= line
    const columns = named !== undefined ? named + 2 : (firstColumns ??= record.length)
    const n = columns - 2
    if (named === undefined && fixed === undefined && record.length !== columns && allowed.includes(n)) {
      throw new DatasetError({
        code: 'columns',
        file,
        line,
        problem: `${record.length} columns, where line ${firstLine} has ${columns} (question, ${n} choices, answer)`,
        fix: `${QUOTING_FIX}; questions with different numbers of options need a header row (question,A,…,J,answer, answers as indexes from 0), each leaving its unused last options empty`,
      })
    }
    if (record.length !== columns || !allowed.includes(n)) {
      const exact = named ?? fixed
      throw new DatasetError({
        code: 'columns',
        file,
        line,
        problem:
          exact !== undefined
            ? `expected ${exact + 2} columns (question, ${exact} choices, answer), found ${record.length}`
            : `expected ${MIN_OPTIONS + 2} to ${MAX_OPTIONS + 2} columns (question, ${range} choices, answer), found ${record.length}`,
        fix: `give each question ${exact !== undefined ? `exactly ${exact + 2}` : `${MIN_OPTIONS + 2} to ${MAX_OPTIONS + 2}`} fields; ${QUOTING_FIX}`,
      })
    }
    const question = record[0]!
    const rawAnswer = record[columns - 1]!
    let choices = record.slice(1, columns - 1)
    if (question.trim() === '') {
      throw new DatasetError({
        code: 'empty-question',
        file,
        line,
        problem: 'empty question',
        fix: 'write the question text in the first column, or delete the row',
      })
    }
    if (fixed === undefined) {
      // A question with fewer options than the header names leaves the last ones empty.
      let kept = choices.length
      while (kept > 0 && choices[kept - 1]!.trim() === '') kept--
      const gap = choices.slice(0, kept).findIndex((c) => c.trim() === '')
      if (gap >= 0 || kept < MIN_OPTIONS) {
        throw new DatasetError({
          code: 'columns',
          file,
          line,
          problem: gap >= 0 ? `option ${LETTERS[gap]} is empty but a later one is not` : `only ${kept} option${kept === 1 ? '' : 's'}: a question needs at least ${MIN_OPTIONS}`,
          fix: gap >= 0 ? 'fill in every option, or leave only the last ones empty when a question has fewer options' : `give the question ${MIN_OPTIONS} to ${MAX_OPTIONS} options`,
        })
      }
      choices = choices.slice(0, kept)
    }
    const table = dialect === 'hf' ? indexAnswers(choices.length) : letterAnswers(choices.length)
    const key = rawAnswer.trim()
    const answer = Object.hasOwn(table, key) ? table[key] : undefined
    if (answer === undefined) throw answerError(file, line, dialect, rawAnswer, choices.length)

    questions.push({ subject, split, index: questions.length, question, choices, answer })
    starts.push(line)
    return null
  }

  const badLine = notUtf8Line(bytes)
  if (badLine !== undefined) {
    throw new DatasetError({
      code: 'encoding',
      file,
      line: badLine,
      problem: 'a byte here is not UTF-8 (Latin-1 or Windows-1252 text?), and would be read as "\uFFFD", changing the question',
      fix: `save the file as UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8 ${file} > utf8.csv`,
    })
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
      fix: fixed === MMLU_OPTIONS ? 'restore the file from the MMLU release (one question per row), or delete it if the subject is not wanted' : 'write one question per row',
    })
  }
  return { questions, lines: starts }
}
