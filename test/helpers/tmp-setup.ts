// Global setup of the test projects: every temporary folder of this run (the tests'
// own, spawned runs', the docs test's repository copies) goes under one folder,
// removed at the end. Without it a run leaves some 150 MB in the system's temp.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export default function setup(): () => void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vitest-mmlu-tests-'))
  const before = process.env.TMPDIR
  // Workers and the processes they spawn inherit it; os.tmpdir() reads it.
  process.env.TMPDIR = dir
  return () => {
    if (before === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = before
    rmSync(dir, { recursive: true, force: true })
  }
}
