// Reading the README and docs/ for test/docs.test.ts: fenced shell blocks with
// their markers, `npm run` names, relative links, and GitHub's heading anchors.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

export interface ShellBlock {
  /** Repository-relative file and the line its fence opens on. */
  file: string
  line: number
  code: string
  /** `# needs: …` or `# slow: …`: why the block is not run here. */
  skip?: string
  /** `# exits: N`: the exit code the block must end with (0 unless said). */
  exits: number
  /** `# serves until stopped; ready when it prints "…"`: a server, done once it prints this. */
  ready?: string
}

/** README.md and every page under docs/, repository-relative. */
export function docFiles(root = '.'): string[] {
  const docs = readdirSync(path.join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f))
    .sort()
  return ['README.md', ...docs]
}

/** Markdown without its fenced blocks (links and `npm run` inside code are not prose), and the blocks. */
function fences(text: string): { prose: string; blocks: { lang: string; line: number; code: string }[] } {
  const blocks: { lang: string; line: number; code: string }[] = []
  const prose: string[] = []
  let open: { lang: string; line: number; lines: string[]; fence: string; indent: number } | undefined
  text.split('\n').forEach((l, i) => {
    const fence = /^( *)(`{3,}|~{3,})\s*([\w-]*)\s*$/.exec(l)
    if (!open && fence) {
      open = { lang: fence[3]!, line: i + 1, lines: [], fence: fence[2]!, indent: fence[1]!.length }
    } else if (open && fence && fence[2]!.startsWith(open.fence) && fence[3] === '') {
      blocks.push({ lang: open.lang, line: open.line, code: open.lines.join('\n') })
      open = undefined
    } else if (open) {
      // A block inside a list item is indented as the item is; its commands are not.
      open.lines.push(l.slice(Math.min(open.indent, /^ */.exec(l)![0].length)))
    } else {
      prose.push(l)
      return
    }
    prose.push('')
  })
  return { prose: prose.join('\n'), blocks }
}

export function shellBlocks(file: string, text: string): ShellBlock[] {
  return fences(text)
    .blocks.filter((b) => ['sh', 'bash', 'shell'].includes(b.lang))
    .map((b) => {
      const block: ShellBlock = { file, line: b.line, code: b.code, exits: 0 }
      for (const l of b.code.split('\n')) {
        const marker = /^#\s*(needs|slow|exits|serves)\b:?\s*(.*)$/.exec(l.trim())
        if (!marker) break
        const [, kind, rest] = marker as unknown as [string, string, string]
        if (kind === 'needs') block.skip = `needs ${rest}`
        else if (kind === 'slow') block.skip = `slow: ${rest}`
        else if (kind === 'exits') block.exits = Number.parseInt(rest, 10)
        else block.ready = /"([^"]+)"/.exec(rest)?.[1] ?? 'never-ready: the serves marker needs the text in quotes'
      }
      return block
    })
}

/** Every `npm run <name>` in a page, code included. */
export function npmRunNames(text: string): string[] {
  return [...text.matchAll(/npm run ([a-z][\w:.-]*[\w])/g)].map((m) => m[1]!)
}

export interface Link {
  file: string
  target: string
}

/** Links in the prose that point inside the repository: `[x](docs/ci.md#thresholds)`, `[x](#exit-codes)`. */
export function relativeLinks(file: string, text: string): Link[] {
  const { prose } = fences(text)
  const out: Link[] = []
  for (const m of prose.replace(/`[^`\n]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!
    if (/^[a-z][\w+.-]*:/i.test(target)) continue // http:, https:, mailto:
    out.push({ file, target })
  }
  return out
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
export function headingAnchors(text: string): Set<string> {
  const seen = new Map<string, number>()
  const anchors = new Set<string>()
  for (const l of fences(text).prose.split('\n')) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l)
    if (!h) continue
    const base = h[1]!
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    anchors.add(n === 0 ? base : `${base}-${n}`)
  }
  return anchors
}

export function readDoc(file: string): string {
  return readFileSync(file, 'utf8')
}
