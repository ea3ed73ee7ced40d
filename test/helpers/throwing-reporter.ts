// A reporter with a bug: it throws at the end of the run. Used beside the MMLU
// reporter to show that an error in the main process prints its own message and
// its TypeScript line, with Vitest's fsModuleCache serving the modules.
import type { Reporter } from 'vitest/node'

export default class ThrowingReporter implements Reporter {
  onTestRunEnd(): void {
    throw new Error('planted bug in a reporter') // line 8: the test expects this line in the stack
  }
}
