// `npm run report`: serves the reports folder on 127.0.0.1, the summary page
// (`index.html`) and Vitest's HTML report (`html/`), which does not work from
// file:// (it fetches its data). Static files only, read-only, never outside
// the folder.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, extname, join, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { readOptions } from '../src/config/options.js'
import { wholeNumber } from '../src/base/strict-number.js'

export const DEFAULT_REPORT_PORT = 4173

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.xml': 'application/xml',
  // Vitest's report gunzips its data itself: serve the bytes as they are.
  '.gz': 'application/octet-stream',
}

export interface ReportServer {
  /** `http://127.0.0.1:<port>/` */
  url: string
  /** The socket's bound address, as the OS reports it (getsockname). */
  address: AddressInfo
  close(): Promise<void>
}

/** Maps a URL path to a file inside `root`, or undefined when it would leave it. */
export function fileForUrl(root: string, urlPath: string): string | undefined {
  let pathname: string
  try {
    pathname = decodeURIComponent(new URL(urlPath, 'http://x').pathname)
  } catch {
    return undefined
  }
  if (pathname.includes('\0')) return undefined
  const file = resolve(root, `.${pathname}`)
  if (file !== root && !file.startsWith(root + sep)) return undefined
  return pathname.endsWith('/') ? join(file, 'index.html') : file
}

/** Serves `dir` on 127.0.0.1:`port` (0 picks a free port). */
export async function serveReport(dir: string, port = DEFAULT_REPORT_PORT): Promise<ReportServer> {
  const root = resolve(dir)
  const server = createServer(async (req, res) => {
    const send = (status: number, text: string) => res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text)
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'read-only server\n')
    let file = fileForUrl(root, req.url ?? '/')
    if (!file) return send(403, 'outside the reports folder\n')
    let info = await stat(file).catch(() => undefined)
    if (info?.isDirectory()) {
      // `/html` → `/html/`, so the report's relative asset paths resolve.
      return res.writeHead(301, { location: `${(req.url ?? '/').replace(/\?.*$/, '')}/` }).end()
    }
    if (!info?.isFile()) return send(404, `not found: ${req.url}\n`)
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      // Each run rewrites the reports: never show a stale one.
      'cache-control': 'no-store',
    })
    if (req.method === 'HEAD') return res.end()
    createReadStream(file).on('error', () => res.destroy()).pipe(res)
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(e.code === 'EADDRINUSE' ? new Error(`port ${port} on 127.0.0.1 is in use; pick another with --port N (0 = any free port)`) : e),
    )
    server.listen(port, '127.0.0.1', () => ok())
  })
  const address = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${address.port}/`,
    address,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections()
        server.close(() => ok())
      }),
  }
}

function parsePort(args: readonly string[]): number {
  const i = args.indexOf('--port')
  if (i < 0) return DEFAULT_REPORT_PORT
  const raw = args[i + 1]
  const n = raw === undefined ? undefined : wholeNumber(raw)
  if (n === undefined || n > 65_535) {
    throw new Error(`--port ${raw ?? ''} is not valid: expected a port number from 0 to 65535`)
  }
  return n
}

async function main(args: readonly string[]): Promise<void> {
  const port = parsePort(args)
  const positional = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--port')
  // The summary page sits next to the results JSON (MMLU_RESULTS).
  const dir = resolve(positional[0] ?? dirname(readOptions().resultsFile))
  const missing = await stat(join(dir, 'index.html')).then(
    () => false,
    () => true,
  )
  if (missing) {
    throw new Error(`${join(dir, 'index.html')} does not exist: run an eval first (npm run eval -- --reporter=./reporters/mmlu-reporter.ts --reporter=html)`)
  }
  const server = await serveReport(dir, port)
  const hasVitestReport = await stat(join(dir, 'html', 'index.html')).then(
    () => true,
    () => false,
  )
  console.log(`Summary        ${server.url}`)
  console.log(`Vitest report  ${hasVitestReport ? `${server.url}html/` : `(none: add --reporter=html to the eval to write ${join(dir, 'html')})`}`)
  console.log('Serving on 127.0.0.1 only; Ctrl-C stops.')
  const stop = () => void server.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(`npm run report: ${e.message}`)
    process.exit(1)
  })
}
