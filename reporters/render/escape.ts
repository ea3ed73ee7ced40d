// Text from data (question text, options, model names, server strings) made
// safe where it is shown: one helper for the terminal (printable), one for
// Markdown (md). HTML pages escape with page.ts's esc. No imports: every
// renderer may use these.

/**
 * Text from data (question text, model names, what a server said) made safe to
 * print: every control character shown, not obeyed. C0 controls and DEL become
 * their Unicode pictures (ESC → ␛, backspace → ␈, a line break → ␊), so no
 * escape sequence can clear the screen, set the window title or overwrite what
 * was printed; C1 controls and the bidirectional overrides (which reorder a
 * line as shown) become `<U+009B>`.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0)
    if (code < 0x20) return String.fromCharCode(0x2400 + code)
    if (code === 0x7f) return '\u2421'
    return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`
  })
}

/** Rendered lines made printable each, the line breaks between them kept. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n')
}

const WORD = /[\p{L}\p{N}]/u

/**
 * Text from data (question text, options, model names, what a server said) as
 * Markdown that shows it, in a line or a table cell: HTML and autolinks can not
 * start (`<`, `>`, `&` as entities), nor links, images, emphasis, code, math,
 * strike-through or a new cell (backslash escapes: a `]` before `(` or `[`
 * ends no link text, so `[7.1, 59.1]` stays as written); line breaks flattened and
 * control characters shown (see printable). An underscore inside a word
 * (`high_school_biology`) is left as it is: it cannot start emphasis there.
 * Not for an HTML block's line (`<summary>`): there, escape as HTML (page.ts's esc).
 */
export function md(text: string): string {
  return printable(text.replace(/\r?\n/g, ' '))
    .replace(/[\\`*|~$]|\](?=[([])/g, '\\$&')
    .replace(/_/g, (u, i: number, s: string) => (WORD.test(s[i - 1] ?? '') && WORD.test(s[i + 1] ?? '') ? u : '\\_'))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
}

/** A table row of cells already in Markdown: our own markup, or data passed through md(). */
export function mdRow(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replace(/\r?\n/g, ' ')).join(' | ')} |`
}

