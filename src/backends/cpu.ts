// Physical cores, not hardware threads: llama.cpp's matrix kernels saturate a
// core, and hyper-threads sharing it only add contention.
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

let cached: number | undefined

export function physicalCores(): number {
  if (cached !== undefined) return cached
  const logical = availableParallelism()
  try {
    const cores = new Set<string>()
    let physicalId = '0'
    for (const line of readFileSync('/proc/cpuinfo', 'utf8').split('\n')) {
      const [k, v] = line.split(':').map((s) => s.trim())
      if (k === 'physical id') physicalId = v ?? '0'
      else if (k === 'core id') cores.add(`${physicalId}:${v}`)
    }
    // Containers may pin us to fewer CPUs than the host has cores.
    cached = cores.size > 0 ? Math.min(cores.size, logical) : logical
  } catch {
    cached = logical
  }
  return cached
}
