// A reporter that sets the exit code to 1 as the run starts, as Vitest does when
// it reports a worker dead: a Ctrl-C reaches the whole process group, so the
// worker can die of it, and be reported, before the main process handles its own
// SIGINT. Used beside the MMLU reporter to show that an interrupted run still
// ends as interrupted (130), whatever code was set before the signal.
import type { Reporter } from 'vitest/node'

export default class ExitCodeReporter implements Reporter {
  onTestRunStart(): void {
    process.exitCode = 1
  }
}
