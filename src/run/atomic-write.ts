// Writing a file so that a reader sees the old content or the new, never half:
// a temp file beside it, then a rename. The temp name is unique per write (not
// only per process), so two writers of one file in one process do not share
// it; and a failed write (a full disk) removes its temp file instead of
// leaving it behind.
import { randomBytes } from 'node:crypto'
import { closeSync, constants, copyFileSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { copyFile, open, rename, rm, writeFile } from 'node:fs/promises'

export const TMP_SUFFIX = '.tmp'

function tmpFor(file: string): string {
  return `${file}.${process.pid}-${randomBytes(4).toString('hex')}${TMP_SUFFIX}`
}

/** Writes `file` through a temp file that `write` fills, then a rename; a failed write leaves no temp file behind. */
async function viaTemp(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = tmpFor(file)
  try {
    await write(tmp)
    await rename(tmp, file)
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {})
    throw e
  }
}

function viaTempSync(file: string, write: (tmp: string) => void): void {
  const tmp = tmpFor(file)
  try {
    write(tmp)
    renameSync(tmp, file)
  } catch (e) {
    try {
      rmSync(tmp, { force: true })
    } catch {}
    throw e
  }
}

export async function writeFileAtomic(file: string, data: string): Promise<void> {
  await viaTemp(file, (tmp) => writeFile(tmp, data))
}

export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  viaTempSync(file, (tmp) => writeFileSync(tmp, data))
}

// A copy, not a hard link: a kept run must never change, and a link shares its
// bytes with a file that an editor or a tool may rewrite in place. FICLONE
// shares the blocks where the file system can (btrfs, XFS) and copies elsewhere.

/** Copies `from` to `to` through a temp file and a rename, like writeFileAtomic. */
export async function copyFileAtomic(from: string, to: string): Promise<void> {
  await viaTemp(to, (tmp) => copyFile(from, tmp, constants.COPYFILE_FICLONE))
}

export function copyFileAtomicSync(from: string, to: string): void {
  viaTempSync(to, (tmp) => copyFileSync(from, tmp, constants.COPYFILE_FICLONE))
}

/**
 * writeFileAtomic for a text given in pieces, so a file larger than one string can
 * hold (V8 caps a string near 512 MB: a million records) is written without
 * ever being one string. Each piece is written as it comes.
 */
export async function writeChunksAtomic(file: string, chunks: Iterable<string>): Promise<void> {
  await viaTemp(file, async (tmp) => {
    const handle = await open(tmp, 'w')
    try {
      for (const chunk of chunks) await handle.write(chunk)
    } finally {
      await handle.close()
    }
  })
}

export function writeChunksAtomicSync(file: string, chunks: Iterable<string>): void {
  viaTempSync(file, (tmp) => {
    const fd = openSync(tmp, 'w')
    try {
      for (const chunk of chunks) writeSync(fd, chunk)
    } finally {
      closeSync(fd)
    }
  })
}
