// npm run data:pull — downloads, verifies and caches the MMLU data (dev, val, test).
import { cachedDataDir, hasDataset } from '../src/dataset/data-dir.js'
import { progressPrinter, pullDataset } from '../src/dataset/download.js'
import { readOptions } from '../src/config/options.js'

const options = readOptions()
const target = cachedDataDir()
if (hasDataset(target)) {
  console.log(`MMLU data already in ${target}`)
} else {
  console.error(`Downloading MMLU (data.tar, about 166 MB; only dev/, val/ and test/ are kept, about 8 MB) from ${options.dataUrl}`)
  try {
    const dir = await pullDataset({
      url: options.dataUrl,
      onProgress: progressPrinter(),
      onRetry: (e, n) => console.error(`\nattempt ${n} failed (${e.message}); resuming`),
    })
    console.log(`MMLU data verified (57 subjects, 14,042 test questions) and installed in ${dir}`)
  } catch (e) {
    console.error(`\n${(e as Error).message}`)
    process.exitCode = 1
  }
}
