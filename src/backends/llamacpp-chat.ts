// MMLU_PROMPT_FORMAT=chat on the embedded engine: the prompt as chat turns
// (prompt.ts chatMessages: each few-shot example a user turn and its letter
// the assistant's), wrapped by the model's own chat template from its GGUF
// (`tokenizer.chat_template`), rendered by node-llama-cpp's Jinja chat
// wrapper, with the generation prompt (the assistant's header) after it.
// That is what a server does with the same messages on its chat endpoint,
// with two deliberate choices:
// - the date a template may print ("Today Date: …" in Llama 3.1-3.3) is fixed
//   at CHAT_DATE, Llama 3.2's own date when no clock is given, so a prompt
//   does not change from day to day (llama.cpp's server and vLLM print
//   today's; Ollama's own llama3.2 template prints none);
// - the message's text is never read as special tokens: a question that
//   contains "<|eot_id|>" asks about those characters.
import { JinjaTemplateChatWrapper } from 'node-llama-cpp'
import type { ChatHistoryItem, LlamaModel, Token } from 'node-llama-cpp'
import type { Prompt } from '../prompt/prompt.js'
import { chatMessages } from '../prompt/prompt.js'
import { EngineError } from './backend.js'

/** The date a chat template is given (`date_string`), so that prompts are the same every day. */
export const CHAT_DATE = '26 Jul 2024'

/** Tokens of a prompt sent as chat turns (chatMessages; a string is one user message) through the model's chat template, ready for the reply. */
export function chatTokenizer(model: LlamaModel, name: string): (prompt: Prompt | string) => Token[] {
  const template = model.fileInfo.metadata?.tokenizer?.chat_template
  if (typeof template !== 'string' || template.trim() === '') {
    throw new EngineError(
      `MMLU_PROMPT_FORMAT=chat: ${name} has no chat template (no tokenizer.chat_template in its GGUF), so the prompt cannot be sent as a chat message. ` +
        'Fix: use MMLU_PROMPT_FORMAT=raw (the lm-eval prompt as plain text), or an instruct model whose GGUF carries its chat template.',
    )
  }
  let wrapper: JinjaTemplateChatWrapper
  try {
    wrapper = new JinjaTemplateChatWrapper({ template, additionalRenderParameters: { date_string: CHAT_DATE }, tokenizer: model.tokenizer })
  } catch (e) {
    throw new EngineError(`MMLU_PROMPT_FORMAT=chat: the chat template in ${name} cannot be rendered (${(e as Error).message}). Fix: use MMLU_PROMPT_FORMAT=raw.`)
  }
  const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null
  return (prompt) => {
    const messages = typeof prompt === 'string' ? [{ role: 'user' as const, content: prompt }] : chatMessages(prompt)
    const history: ChatHistoryItem[] = messages.map((m) => (m.role === 'user' ? { type: 'user', text: m.content } : { type: 'model', response: [m.content] }))
    const { contextText } = wrapper.generateContextState({ chatHistory: [...history, { type: 'model', response: [] }] })
    const tokens = contextText.tokenize(model.tokenizer)
    // A template that leaves BOS out still gets it where the model wants one, as the servers add it.
    return bos !== null && tokens[0] !== bos ? [bos, ...tokens] : tokens
  }
}

/** The token of each bare letter ("A"), as a chat reply starts; undefined where a letter is not one token. */
export function bareLetterToken(model: LlamaModel, letter: string): Token | undefined {
  const tokens = model.tokenize(letter)
  return tokens.length === 1 ? tokens[0] : undefined
}
