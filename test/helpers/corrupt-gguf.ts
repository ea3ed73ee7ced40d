// Broken GGUF files for the error-path tests, each derived from a good fixture.
import { readFile, truncate, writeFile } from 'node:fs/promises'
import { fixedAnswerModel, writeModel } from '../../fixtures/gguf/models.js'
import { fixtureModelPath } from '../../fixtures/models.js'

export async function corruptGguf(kind: string, out: string): Promise<void> {
  if (kind === 'missing llama.feed_forward_length') {
    // The case that makes llama.cpp abort the whole process if it ever loads it.
    const spec = fixedAnswerModel('A')
    const { ['llama.feed_forward_length']: _dropped, ...metadata } = spec.metadata
    await writeModel({ ...spec, metadata }, out)
  } else if (kind === 'truncated file') {
    const good = await readFile(await fixtureModelPath('fixed-A'))
    await writeFile(out, good)
    await truncate(out, good.length - 200)
  } else if (kind === 'not a GGUF') {
    await writeFile(out, 'this is a text file with a .gguf name\n')
  } else {
    throw new Error(`unknown corruption ${kind}`)
  }
}
