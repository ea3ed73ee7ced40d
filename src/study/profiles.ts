// The three ways to run the suite that the seed's timing experiment compares,
// each as Vitest's own CLI flags plus our MMLU_CONCURRENCY. The npm scripts
// `eval:sequential`, `eval:files` and `eval:concurrent` are these commands
// (test/profiles.test.ts holds package.json to them), and the study runs the
// same profiles, so a user can repeat any of its runs by hand.
import { DEFINITIONS } from '../config/options.js'

export const PROFILE_NAMES = ['sequential', 'files', 'concurrent'] as const
export type ProfileName = (typeof PROFILE_NAMES)[number]

/**
 * Files at once in the `files` profile unless VITEST_MAX_WORKERS says
 * otherwise: the seed's two topics. It must be explicit because Vitest's
 * default for `run` is CPUs − 1, which is 1 on a 2-core machine.
 */
export const DEFAULT_FILE_WORKERS = 2
/** Questions in flight per file in the `concurrent` profile unless MMLU_CONCURRENCY says otherwise. */
export const DEFAULT_IN_FILE_CONCURRENCY = 4

const CONCURRENCY = DEFINITIONS.concurrency.env

export interface Profile {
  name: ProfileName
  /** What the seed did, for the README and the study's tables. */
  seed: string
  what: string
  /** Vitest CLI flags, before the subject files. */
  args(workers: number): string[]
  /** Environment the profile sets. */
  env(concurrency: number): Record<string, string>
  /** The npm script: the user's VITEST_MAX_WORKERS / MMLU_CONCURRENCY choose N where the profile has one. */
  script: string
}

const VITEST = 'vitest run --project mmlu'
/** Timing profiles time fresh answers: the answer cache is off unless the user turns it on. */
const FRESH = `${DEFINITIONS.cache.env}=\${${DEFINITIONS.cache.env}:-off}`

export const PROFILES: Record<ProfileName, Profile> = {
  sequential: {
    name: 'sequential',
    seed: 'a; b',
    what: 'one file at a time, one question at a time',
    args: () => ['--no-file-parallelism'],
    env: () => ({ [CONCURRENCY]: '1' }),
    script: `${FRESH} ${CONCURRENCY}=1 ${VITEST} --no-file-parallelism`,
  },
  files: {
    name: 'files',
    seed: 'a & b & wait',
    what: 'subject files in parallel workers, one question at a time in each',
    args: (workers) => ['--fileParallelism', `--maxWorkers=${workers}`],
    env: () => ({ [CONCURRENCY]: '1' }),
    // Vitest refuses a repeated --maxWorkers, so N comes from VITEST_MAX_WORKERS (which Vitest reads too) rather than from an extra flag.
    script: `${FRESH} ${CONCURRENCY}=1 ${VITEST} --fileParallelism --maxWorkers=\${VITEST_MAX_WORKERS:-${DEFAULT_FILE_WORKERS}}`,
  },
  concurrent: {
    name: 'concurrent',
    seed: 'N requests in flight from one process',
    what: 'one file at a time, N questions in flight inside it',
    args: () => ['--no-file-parallelism'],
    env: (concurrency) => ({ [CONCURRENCY]: String(concurrency) }),
    script: `${FRESH} ${CONCURRENCY}=\${${CONCURRENCY}:-${DEFAULT_IN_FILE_CONCURRENCY}} ${VITEST} --no-file-parallelism`,
  },
}

/** The npm script name of a profile. */
export const scriptName = (profile: ProfileName): string => `eval:${profile}`

/** Subject files as Vitest filters: the exact file, so no subject name matches another's. */
export function subjectFiles(subjects: readonly string[]): string[] {
  return subjects.map((s) => `evals/${s}.eval.ts`)
}
