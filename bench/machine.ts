// The machine a benchmark ran on: what bench/report.ts prints and the accepted figures record.
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { physicalCores } from '../src/backends/cpu.js'

export interface Machine {
  cpuModel: string
  logicalCpus: number
  physicalCores: number
  memoryBytes: number
  node: string
  os: string
  nodeLlamaCpp: string
  vitest: string
}

const packageVersion = (name: string): string =>
  (JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version

export function describeMachine(): Machine {
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    logicalCpus: os.availableParallelism(),
    physicalCores: physicalCores(),
    memoryBytes: os.totalmem(),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    nodeLlamaCpp: packageVersion('node-llama-cpp'),
    vitest: packageVersion('vitest'),
  }
}
