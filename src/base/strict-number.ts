// Numbers typed by people (environment variables, command-line flags), read
// strictly. Number() reads '' as 0, ' 2' as 2, '0x2' as 2 and '1e2' as 100:
// `--keep "$KEEP"` with KEEP unset deleted every kept run. A value here is
// what it looks like, or nothing.

/** Digits only ('007' is 7): no sign, no spaces, no hex, no exponent; undefined otherwise. */
export function wholeNumber(raw: string): number | undefined {
  return /^\d+$/.test(raw) ? Number(raw) : undefined
}

/** A decimal as written in the docs (0.7, .5, 2, 1e-3, -1): no spaces, no hex, no Infinity; undefined otherwise. */
export function decimalNumber(raw: string): number | undefined {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : undefined
}
