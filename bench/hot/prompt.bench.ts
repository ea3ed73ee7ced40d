// `npm run bench -- --only=B6`, or alone: npx vitest bench --run --config bench/hot/vitest.config.ts
import { PROMPT } from './cases.js'
import { benchGroup } from './bench-group.js'

await benchGroup(PROMPT)
