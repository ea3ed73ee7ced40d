// Getting the MMLU data onto a fresh machine: download the original release
// (data.tar), extract only dev/, val/ and test/ while the bytes stream in,
// verify every subject's count and content fingerprint, then install the
// folder into the cache with one rename. A cut download resumes with an HTTP
// Range request; a failed or tampered one never leaves a dataset in the cache.
import { createReadStream, createWriteStream, existsSync } from 'node:fs'
import { mkdir, rename, rm, stat, truncate } from 'node:fs/promises'
import path from 'node:path'
import { once } from 'node:events'
import { cachedDataDir, hasDataset } from './data-dir.js'
import { DatasetError } from './errors.js'
import { fingerprintQuestions } from './fingerprint.js'
import { KNOWN_FINGERPRINTS } from './known-fingerprints.js'
import { loadSubject } from './load.js'
import type { Subject } from './subjects.js'
import { SUBJECT_NAMES, SUBJECTS } from './subjects.js'

/** What a subject's files must hold; the defaults are the real MMLU's. */
export interface ExpectedSubject {
  test: { count: number; fingerprint: string }
  dev: { count: number; fingerprint: string }
}

export function knownExpectations(): Map<Subject, ExpectedSubject> {
  return new Map(
    SUBJECT_NAMES.map((s) => [s, { test: { count: SUBJECTS[s].testCount, fingerprint: KNOWN_FINGERPRINTS[s].test }, dev: { count: 5, fingerprint: KNOWN_FINGERPRINTS[s].dev } }]),
  )
}

export interface Progress {
  received: number
  total: number | undefined
  resumedFrom: number
}

export interface PullOptions {
  url: string
  /** Folder the dataset is installed into (default: the cache). */
  dataDir?: string
  expected?: Map<Subject, ExpectedSubject>
  /** Attempts for one download, each resuming where the last stopped. */
  attempts?: number
  onProgress?: (p: Progress) => void
  /** Called when an attempt fails and another will resume it. */
  onRetry?: (error: Error, attempt: number) => void
}

export class DownloadError extends Error {
  override name = 'DownloadError'
}

const KEEP = /^data\/(dev|val|test)\/[^/]+\.csv$/

async function sizeOf(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  )
}

/**
 * One pass: bytes already on disk are replayed into a fresh extraction, then
 * the rest is requested with Range and both appended to the partial file and
 * fed to the extractor. Throws on any cut; the partial file keeps what came.
 */
async function attempt(url: string, part: string, extractDir: string, onProgress?: (p: Progress) => void): Promise<void> {
  let have = await sizeOf(part)
  const res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {} })
  if (res.status === 416 && have > 0) {
    // Everything is already here (the server says the range starts at the end).
  } else if (!res.ok) {
    throw new DownloadError(`GET ${url} answered ${res.status} ${res.statusText}`)
  } else if (have > 0 && res.status !== 206) {
    // The server ignored Range: start over.
    await truncate(part, 0)
    have = 0
  }
  const range = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')
  const length = Number(res.headers.get('content-length') ?? NaN)
  const total = range ? Number(range[1]) : Number.isFinite(length) ? have + length : undefined

  await rm(extractDir, { recursive: true, force: true })
  await mkdir(extractDir, { recursive: true })
  // Loaded here: only a first run without data downloads (issue 27: start-up).
  const { x: extractTar } = await import('tar')
  const extractor = extractTar({ cwd: extractDir, strip: 1, filter: (p: string) => KEEP.test(p) })
  let extractError: Error | undefined
  extractor.on('error', (e: Error) => (extractError ??= e))
  const feed = async (chunk: Buffer) => {
    if (!extractor.write(chunk)) await once(extractor, 'drain')
  }
  let received = have
  try {
    if (have > 0) for await (const chunk of createReadStream(part)) await feed(chunk as Buffer)
    onProgress?.({ received, total, resumedFrom: have })
    if (res.status !== 416 && res.body) {
      const out = createWriteStream(part, { flags: 'a' })
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          const buf = Buffer.from(chunk)
          if (!out.write(buf)) await once(out, 'drain')
          await feed(buf)
          received += buf.length
          onProgress?.({ received, total, resumedFrom: have })
        }
      } finally {
        out.end()
        await once(out, 'close')
      }
    }
    if (total !== undefined && received < total) throw new DownloadError(`download cut at ${received} of ${total} bytes`)
  } catch (e) {
    extractor.abort(e as Error)
    throw e
  }
  const closed = once(extractor, 'close')
  extractor.end()
  await closed
  if (extractError) throw new DownloadError(`the download is not a valid tar file (${extractError.message})`)
}

/** Counts and fingerprints every expected subject; throws a DatasetError naming the first that differs. */
export async function verifyDataset(dir: string, expected: Map<Subject, ExpectedSubject> = knownExpectations()): Promise<void> {
  for (const [subject, want] of expected) {
    const { dev, test } = await loadSubject(dir, subject, { allowPartial: true })
    for (const [split, questions] of [['test', test], ['dev', dev]] as const) {
      const got = { count: questions.length, fingerprint: fingerprintQuestions(questions) }
      if (got.count !== want[split].count || got.fingerprint !== want[split].fingerprint) {
        throw new DatasetError({
          code: 'incomplete',
          file: path.join(dir, split, `${subject}_${split}.csv`),
          problem: `verification failed for ${subject} (${split}): ${got.count} questions with fingerprint ${got.fingerprint.slice(0, 19)}…, expected ${want[split].count} with ${want[split].fingerprint.slice(0, 19)}…`,
          fix: 'the download is corrupt or not the MMLU release; it was not installed. Run npm run data:pull again, or check MMLU_DATA_URL',
        })
      }
    }
  }
}

/** Downloads, verifies and installs the dataset; returns the installed folder. */
export async function pullDataset(opts: PullOptions): Promise<string> {
  const url = opts.url
  const dataDir = opts.dataDir ?? cachedDataDir()
  if (hasDataset(dataDir)) return dataDir
  const work = path.join(path.dirname(dataDir), 'downloads')
  await mkdir(work, { recursive: true })
  const part = path.join(work, 'data.tar.part')
  const extractDir = path.join(work, `extract-${process.pid}`)
  const attempts = opts.attempts ?? 4
  try {
    for (let i = 1; ; i++) {
      try {
        await attempt(url, part, extractDir, opts.onProgress)
        break
      } catch (e) {
        if (i >= attempts) throw offlineOr(e as Error, url, dataDir)
        opts.onRetry?.(e as Error, i)
        await new Promise((r) => setTimeout(r, 250 * 2 ** (i - 1)))
      }
    }
    try {
      await verifyDataset(extractDir, opts.expected)
    } catch (e) {
      await rm(part, { force: true }) // the bytes themselves are wrong: do not resume from them
      throw e
    }
    await mkdir(path.dirname(dataDir), { recursive: true })
    await rename(extractDir, dataDir)
    await rm(part, { force: true })
    return dataDir
  } finally {
    await rm(extractDir, { recursive: true, force: true })
  }
}

function offlineOr(e: Error, url: string, dataDir: string): Error {
  return new DownloadError(
    `Could not download the MMLU data from ${url} (${e.message}${e.cause ? `: ${(e.cause as Error).message}` : ''}). Three ways out:\n` +
      `  1. connect to the internet and run npm run data:pull again (a cut download resumes);\n` +
      `  2. set MMLU_DATA_DIR to a folder that has the data ({dev,test}/<subject>_<split>.csv, either CSV dialect);\n` +
      `  3. copy the data (the dev/ and test/ folders of data.tar) into ${dataDir}.`,
  )
}

/** A progress line: in place on a TTY, every 10% otherwise. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (p: Progress) => void {
  let lastTenth = -1
  return ({ received, total, resumedFrom }) => {
    const mb = (n: number) => (n / 1e6).toFixed(1)
    const pct = total ? Math.floor((received / total) * 100) : undefined
    const line = `MMLU data  ${mb(received)}${total ? ` / ${mb(total)} MB (${pct}%)` : ' MB'}${resumedFrom ? `, resumed at ${mb(resumedFrom)} MB` : ''}`
    if (stream.isTTY) stream.write(`\r${line}${received === total ? '\n' : ''}`)
    else if (pct === undefined || Math.floor(pct / 10) !== lastTenth) {
      lastTenth = pct === undefined ? lastTenth : Math.floor(pct / 10)
      stream.write(`${line}\n`)
    }
  }
}
