// Test helper: rewrites a data folder in the Hugging Face dialect (header row,
// answer index 0-3) as the original Hendrycks dialect (no header, answer letter
// A-D), keeping the layout <dir>/{dev,val,test}/<subject>_<split>.csv.
// It uses csv-parse and csv-stringify directly, not the project's reader, so
// comparing what the reader makes of both copies is an independent check.

import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { stringify } from 'csv-stringify/sync'

const SPLITS = ['dev', 'val', 'test'] as const
const LETTERS = ['A', 'B', 'C', 'D'] as const

function toOriginal(text: Buffer, file: string): string {
  const rows = parse(text, { bom: true })
  const header = rows.shift()
  if (header?.[0] !== 'question' || header.length !== 6) {
    throw new Error(`${file}: not a Hugging Face MMLU file (header ${JSON.stringify(header)})`)
  }
  const converted = rows.map((row, i) => {
    const letter = LETTERS[Number(row[5])]
    if (row.length !== 6 || letter === undefined) throw new Error(`${file}: bad row ${i + 1}: ${JSON.stringify(row)}`)
    return [...row.slice(0, 5), letter]
  })
  return stringify(converted)
}

/**
 * Writes the original-dialect copy of every split file in `srcDir` (or only those of
 * `subjects`) under `dstDir`. Returns the paths written, relative to `dstDir`.
 */
export async function writeOriginalDialect(
  srcDir: string,
  dstDir: string,
  subjects?: readonly string[],
): Promise<string[]> {
  const written: string[] = []
  for (const split of SPLITS) {
    let names: string[]
    try {
      names = await readdir(path.join(srcDir, split))
    } catch {
      continue // this copy has no such split (the val split is often absent)
    }
    const wanted = names.filter((n) =>
      subjects === undefined ? n.endsWith(`_${split}.csv`) : subjects.some((s) => n === `${s}_${split}.csv`),
    )
    if (wanted.length === 0) continue
    await mkdir(path.join(dstDir, split), { recursive: true })
    await Promise.all(
      wanted.map(async (name) => {
        const src = path.join(srcDir, split, name)
        await writeFile(path.join(dstDir, split, name), toOriginal(await readFile(src), src))
        written.push(path.join(split, name))
      }),
    )
  }
  return written.sort()
}
