// One bench file's body: the group's inputs built once, then each case timed
// by Vitest's bench (tinybench) under one describe named after the group.
import { bench, describe } from 'vitest'
import type { HotGroup } from './cases.js'
import { benchOptions } from './cases.js'

export async function benchGroup<I>(g: HotGroup<I>): Promise<void> {
  const inputs = await g.prepare()
  describe(g.group, () => {
    for (const c of g.cases)
      bench(
        c.name,
        async () => {
          await c.run(inputs)
        },
        benchOptions(),
      )
  })
}
