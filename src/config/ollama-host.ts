// OLLAMA_HOST, read as the Ollama CLI reads it: one host or a comma-separated
// list, each normalised to scheme://host:port[/path].
import { list, OptionsError } from './parsers.js'

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434'

/**
 * OLLAMA_HOST by the Ollama CLI's rules (envconfig.Host): quotes and spaces
 * trimmed; no scheme means http and port 11434; `http://` / `https://` without
 * a port mean 80 / 443; a bare `ollama.com` means https://ollama.com:443; a
 * path is kept. Where the CLI warns and falls back (a bad port) we stop instead,
 * and an empty host (`:1234`) is spelled 127.0.0.1.
 */
export function parseOllamaHost(raw: string | undefined): string {
  const s = (raw ?? '').trim().replace(/^["']+|["']+$/g, '')
  if (s === '') return DEFAULT_OLLAMA_HOST
  const bad = (why: string) => new OptionsError(`OLLAMA_HOST=${JSON.stringify(raw)} is not valid: ${why}. Expected host, host:port or http(s)://host:port, e.g. 127.0.0.1:11434.`)
  let scheme = 'http'
  let rest = s
  let defaultPort = '11434'
  const sep = s.indexOf('://')
  if (sep >= 0) {
    scheme = s.slice(0, sep).toLowerCase()
    rest = s.slice(sep + 3)
    if (scheme !== 'http' && scheme !== 'https') throw bad(`scheme ${scheme} is neither http nor https`)
    defaultPort = scheme === 'https' ? '443' : '80'
  } else if (s === 'ollama.com') {
    scheme = 'https'
    rest = 'ollama.com:443'
  }
  const slash = rest.indexOf('/')
  const hostport = slash >= 0 ? rest.slice(0, slash) : rest
  const path = slash >= 0 ? rest.slice(slash).replace(/\/+$/, '') : ''
  let host: string
  let port: string
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(hostport)
  if (bracketed) {
    host = bracketed[1] as string
    port = bracketed[2] ?? defaultPort
  } else if ((hostport.match(/:/g) ?? []).length === 1) {
    ;[host, port] = hostport.split(':') as [string, string]
  } else {
    // No port, or a bare IPv6 address.
    host = hostport
    port = defaultPort
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw bad(`port ${JSON.stringify(port)} is not a number from 0 to 65535`)
  if (host === '') host = '127.0.0.1'
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`
  try {
    new URL(url)
  } catch {
    throw bad(`${url} is not a URL`)
  }
  return url
}

/** OLLAMA_HOST: one host, or several separated by commas (several servers in one run). */
export function ollamaHosts(raw: string | undefined): string[] {
  const s = (raw ?? '').trim().replace(/^["']+|["']+$/g, '')
  if (!s.includes(',')) return [parseOllamaHost(raw)]
  return list('OLLAMA_HOST', parseOllamaHost)(s)
}
