// `npm ci` is quiet: every dependency with an install script is either allowed
// or denied in package.json's allowScripts (npm ≥ 11.16 reads it), so a clean
// install prints no "install-scripts … not yet covered" warning. Why each
// entry is what it is: docs/getting-started.md, "What npm ci runs".
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { expect, test } from 'vitest'

test('every install script of the installed dependencies is reviewed in allowScripts', async () => {
  const { stdout, stderr } = await promisify(execFile)('npm', ['install-scripts', 'ls'], { encoding: 'utf8' })
  expect(stdout + stderr).toContain('No packages with unreviewed install scripts')
  const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { allowScripts?: Record<string, boolean> }
  // esbuild's postinstall only checks (and links) its platform binary, offline; node-llama-cpp's would
  // build llama.cpp when no prebuilt binary fits, which the engine never does (getLlama build: 'never').
  expect(pkg.allowScripts).toEqual({ esbuild: true, 'node-llama-cpp': false })
})
