// Runs answered by the project's test double (`npm run server:simulated`,
// fixtures/servers/serve.ts: no model, it answers the longest option). The
// double says what it is through each protocol's own surface: Ollama's
// /api/version is `0.12.11+simulated`, semver build metadata that no Ollama
// release carries and that version comparisons ignore; on the OpenAI-compatible
// endpoints, /v1/models names SIMULATED_OWNER as each model's `owned_by`. Such a run is marked SIMULATED in every
// output and record, and is never paired with a real run (gate, compare), so a
// simulated number cannot be published by accident.
import type { EngineInfo } from './record.js'

/** The build metadata the double appends to the Ollama version it reports. */
export const SIMULATED_BUILD = '+simulated'

/** The `owned_by` of the double's models in /v1/models: a name no real server uses. */
export const SIMULATED_OWNER = 'vitest-mmlu-simulated'

/** Whether a server's reported version is the double's. */
export function isSimulatedVersion(version: string): boolean {
  return /\+(.*\.)?simulated(\.|$)/.test(version.trim())
}

/** Whether a run, or its headline, was answered by the double (any of its servers). */
export function isSimulatedRun(results: { config: { simulated?: true }; provenance?: readonly Pick<EngineInfo, 'simulated'>[] }): boolean {
  return results.config.simulated === true || (results.provenance ?? []).some((e) => e.simulated === true)
}

/** The one line every output shows. */
export const SIMULATED_NOTE = 'SIMULATED server (npm run server:simulated, the test double: no model, it answers the longest option): these figures say nothing about any model'

/** Why two runs cannot be paired when one is simulated and the other is not; undefined when both are alike. */
export function simulatedMismatch(reference: Parameters<typeof isSimulatedRun>[0], other: Parameters<typeof isSimulatedRun>[0], names: { reference: string; other: string }): string | undefined {
  const [a, b] = [isSimulatedRun(reference), isSimulatedRun(other)]
  if (a === b) return undefined
  const [sim, real] = b ? [names.other, names.reference] : [names.reference, names.other]
  return `${sim} is SIMULATED (npm run server:simulated, no model) and ${real} is not: a simulated run is never paired with a real one`
}
