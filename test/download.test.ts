// The dataset download over loopback: a tar built here from the project's own
// fixture questions, served with Range support by a server that can cut the
// connection mid-way or serve tampered bytes.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { c as createTar } from 'tar'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ExpectedSubject } from '../src/dataset/download.js'
import { cachedDataDir } from '../src/dataset/data-dir.js'
import { pullDataset, verifyDataset } from '../src/dataset/download.js'
import { fingerprintQuestions } from '../src/dataset/fingerprint.js'
import { loadSubject } from '../src/dataset/load.js'
import type { Subject } from '../src/dataset/subjects.js'
import { FIXTURE_ORIGINAL_DATA_DIR } from './helpers/data.js'

const SUBJECTS: Subject[] = ['astronomy', 'business_ethics']

/** data.tar's layout: data/{dev,val,test,auxiliary_train}/…, original dialect. */
async function buildTar(tamper = false): Promise<Buffer> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mmlu-tar-'))
  await cp(FIXTURE_ORIGINAL_DATA_DIR, path.join(root, 'data'), { recursive: true })
  await mkdir(path.join(root, 'data', 'val'), { recursive: true })
  await writeFile(path.join(root, 'data', 'val', 'astronomy_val.csv'), 'A validation question?,1,2,3,4,A\n')
  await mkdir(path.join(root, 'data', 'auxiliary_train'), { recursive: true })
  await writeFile(path.join(root, 'data', 'auxiliary_train', 'race.csv'), 'x'.repeat(200_000))
  if (tamper) {
    const file = path.join(root, 'data', 'test', 'business_ethics_test.csv')
    const text = await readFile(file, 'utf8')
    await writeFile(file, text.replace(/,A\r?\n/, ',B\n'))
  }
  const out = path.join(root, 'data.tar')
  await createTar({ cwd: root, file: out, portable: true }, ['data'])
  return readFile(out)
}

interface Served {
  url: string
  ranges: (string | undefined)[]
  close(): Promise<void>
}

/** Serves `body`; the first `cuts` requests are cut after `cutAt` bytes. */
async function serve(body: Buffer, { cuts = 0, cutAt = 0 } = {}): Promise<Served> {
  const ranges: (string | undefined)[] = []
  const server = createServer((req, res) => {
    ranges.push(req.headers.range)
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
    const start = m ? Number(m[1]) : 0
    const headers: Record<string, string | number> = { 'content-type': 'application/x-tar', 'content-length': body.length - start, 'accept-ranges': 'bytes' }
    if (m) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`
    res.writeHead(m ? 206 : 200, headers)
    if (ranges.length <= cuts) {
      res.write(body.subarray(start, start + cutAt), () => res.destroy())
    } else {
      res.end(body.subarray(start))
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/data.tar`, ranges, close: () => new Promise((r) => server.close(() => r())) }
}

let expected: Map<Subject, ExpectedSubject>
let good: Buffer
const servers: Served[] = []

beforeAll(async () => {
  expected = new Map()
  for (const subject of SUBJECTS) {
    const { dev, test } = await loadSubject(FIXTURE_ORIGINAL_DATA_DIR, subject, { allowPartial: true })
    expected.set(subject, { test: { count: test.length, fingerprint: fingerprintQuestions(test) }, dev: { count: dev.length, fingerprint: fingerprintQuestions(dev) } })
  }
  good = await buildTar()
})
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

async function freshCache(): Promise<string> {
  return path.join(await mkdtemp(path.join(os.tmpdir(), 'mmlu-cache-')), 'vitest-mmlu', 'mmlu')
}

describe('dataset download', () => {
  test('downloads, keeps only dev/val/test, verifies and installs', async () => {
    const server = await serve(good)
    servers.push(server)
    const dataDir = await freshCache()
    const installed = await pullDataset({ url: server.url, dataDir, expected })
    expect(installed).toBe(dataDir)
    expect((await readdir(dataDir)).sort()).toEqual(['dev', 'test', 'val'])
    expect((await readdir(path.join(dataDir, 'test'))).sort()).toEqual(['astronomy_test.csv', 'business_ethics_test.csv'])
    const { test: questions } = await loadSubject(dataDir, 'astronomy', { allowPartial: true })
    expect(questions.map((q) => q.answer).join('')).toBe('CABDCABD')
    expect(server.ranges).toEqual([undefined])
    // A second pull finds the installed data and downloads nothing.
    await pullDataset({ url: server.url, dataDir, expected })
    expect(server.ranges).toHaveLength(1)
  })

  test('a connection cut mid-way is resumed with a Range request and succeeds', async () => {
    const cutAt = Math.floor(good.length / 2)
    const server = await serve(good, { cuts: 1, cutAt })
    servers.push(server)
    const dataDir = await freshCache()
    const retries: string[] = []
    await pullDataset({ url: server.url, dataDir, expected, onRetry: (e) => retries.push(e.message) })
    expect(retries).toHaveLength(1)
    expect(server.ranges).toEqual([undefined, `bytes=${cutAt}-`])
    await verifyDataset(dataDir, expected)
    expect(existsSync(path.join(path.dirname(dataDir), 'downloads', 'data.tar.part'))).toBe(false)
  })

  test('a tampered file fails verification, names the subject, and leaves no dataset in the cache', async () => {
    const server = await serve(await buildTar(true))
    servers.push(server)
    const dataDir = await freshCache()
    await expect(pullDataset({ url: server.url, dataDir, expected })).rejects.toThrow(/verification failed for business_ethics \(test\)/)
    expect(existsSync(dataDir)).toBe(false)
    expect(await readdir(path.dirname(dataDir))).toEqual(['downloads'])
    expect(await readdir(path.join(path.dirname(dataDir), 'downloads'))).toEqual([])
  })

  test('offline with no cache: one clear error with the three ways out', async () => {
    const dataDir = await freshCache()
    const error = await pullDataset({ url: 'http://127.0.0.1:9/data.tar', dataDir, expected, attempts: 2 }).catch((e: Error) => e)
    expect((error as Error).message).toMatch(/Could not download the MMLU data from http:\/\/127\.0\.0\.1:9\/data\.tar/)
    expect((error as Error).message).toMatch(/1\. connect to the internet[\s\S]*2\. set MMLU_DATA_DIR[\s\S]*3\. copy the data/)
    expect(existsSync(dataDir)).toBe(false)
  })

  test('the cache follows XDG_CACHE_HOME', () => {
    expect(cachedDataDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/vitest-mmlu/mmlu')
    expect(cachedDataDir({ HOME: '/h' })).toMatch(/\.cache\/vitest-mmlu\/mmlu$/)
  })
})
