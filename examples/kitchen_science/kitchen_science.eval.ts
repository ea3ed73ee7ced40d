// A question set of our own (written for this project) as a topic: up to five
// options a question, few-shot examples from its own dev file. Run it with
//   npx vitest run --project mmlu examples/kitchen_science
import { defineSubject } from '../../src/suite.js'

defineSubject({
  name: 'kitchen_science',
  test: 'examples/kitchen_science/test.csv',
  dev: 'examples/kitchen_science/dev.csv',
  category: 'everyday_science',
  title: 'kitchen science',
})
