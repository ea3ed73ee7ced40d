// Named protocols (MMLU_PROTOCOL): the settings that define how a published
// MMLU figure was made, so a run can be made the same way by name, and its
// header and results say which. An explicitly set option still wins; the run
// then names the protocol with what overrode it. docs/protocols.md has the
// table of protocols, what they set, and the published figures made that way.
// Pure: imports nothing of ours.

export const PROTOCOL_NAMES = ['lm-eval', 'generative'] as const
export type ProtocolName = (typeof PROTOCOL_NAMES)[number]

export interface ProtocolPreset {
  /** One line: what a run under it does. */
  summary: string
  /** Env variable → value, as a user would set them. */
  sets: Readonly<Record<string, string>>
  /** The average published figures made this way report first. */
  headline: 'micro' | 'macro'
}

export const PROTOCOLS: Readonly<Record<ProtocolName, ProtocolPreset>> = {
  // lm-evaluation-harness's MMLU task at --num_fewshot 5: the raw prompt, the
  // log-likelihoods of " A" … " D", groups size-weighted (micro).
  'lm-eval': {
    summary: "lm-evaluation-harness: 5-shot, the raw prompt, log-prob of ' A'…' D', micro average first",
    sets: { MMLU_SHOTS: '5', MMLU_PROMPT_FORMAT: 'raw', MMLU_SCORING: 'logprob', MMLU_TEMPERATURE: '0' },
    headline: 'micro',
  },
  // Meta's Llama 3.2 Instruct figure (49.3): 5-shot, the examples as a
  // dialogue, the model generates "the best choice character", at most 10
  // tokens, macro average. Meta published its prompts with the model's eval
  // dataset (input_final_prompts); ours is lm-eval's wording in user/assistant
  // turns, not compared with them byte for byte.
  generative: {
    summary: 'generative, as Meta scored Llama 3.2 Instruct: 5-shot, the examples as chat turns, up to 10 generated tokens, the letter they start with, macro average first',
    sets: { MMLU_SHOTS: '5', MMLU_PROMPT_FORMAT: 'chat', MMLU_SCORING: 'generate', MMLU_MAX_TOKENS: '10', MMLU_TEMPERATURE: '0' },
    headline: 'macro',
  },
}

/** The protocol a run was made under, as recorded in its options, header and results. */
export interface ProtocolChoice {
  name: ProtocolName
  /** Options set explicitly to other values than the protocol's, e.g. `MMLU_SHOTS=0 (lm-eval sets 5)`. */
  overrides: string[]
}
