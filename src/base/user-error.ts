// Errors a user causes and can fix (a bad option, missing data, no model, a bad
// thresholds file, a server that is down): each carries a complete message
// (where, what is wrong, the fix), so it is printed as one block, once, without
// a stack trace. Stack traces are for our own bugs.
// DownloadError: what leaves pullDataset is the offline message with its three ways out.
const USER_ERRORS = new Set(['OptionsError', 'DatasetError', 'DownloadError', 'GateConfigError', 'EngineError', 'TimeoutError', 'NotAskedError'])

/** Whether an error (or a serialized one, by its name) is one of ours with a complete message. */
export function isUserError(e: unknown): e is { name: string; message: string } {
  const name = (e as { name?: unknown } | null)?.name
  return typeof name === 'string' && USER_ERRORS.has(name) && typeof (e as { message?: unknown }).message === 'string'
}

/** The block printed for a user error: a cross, the message, nothing else. */
export function formatUserError(e: { message: string }): string {
  return `✗ ${e.message}`
}

/**
 * For code that runs before Vitest can report anything (the config file, a
 * reporter's start): a user error is printed once and the process exits 1; any
 * other error is ours and is rethrown with its stack.
 */
export function exitOnUserError(e: unknown, write: (text: string) => void = (t) => process.stderr.write(t)): never {
  if (!isUserError(e)) throw e
  write(`\n${formatUserError(e)}\n\n`)
  process.exit(1)
}
