// Token counting for the emulators with the o200k_base encoding (GPT-4o, GPT-4.1, GPT-5 and o-series models).
// Prompt accounting follows OpenAI's cookbook "How to count tokens with tiktoken": every message costs 3 tokens of
// framing plus its fields, and every reply is primed with 3 more (`<|start|>assistant<|message|>`).
import { countTokens as countO200kTokens, decode, encode } from 'gpt-tokenizer/encoding/o200k_base';

/** Framing tokens OpenAI adds around each chat message. */
export const TOKENS_PER_MESSAGE = 3;
/** Tokens that prime every assistant reply. */
export const TOKENS_PER_REPLY = 3;

/** Number of o200k_base tokens in `text`. */
export function countTokens(text: string): number {
  return text === '' ? 0 : countO200kTokens(text);
}

/** The first `maxTokens` tokens of `text`, decoded back to a string. */
export function truncateToTokens(text: string, maxTokens: number): string {
  const tokens = encode(text);
  return tokens.length <= maxTokens ? text : decode(tokens.slice(0, maxTokens));
}

/** A message as far as token accounting cares: its role and every piece of text it carries. */
export interface CountedMessage {
  role: string;
  texts: readonly string[];
}

/** Prompt tokens of a conversation: per message 3 + role + texts, plus 3 to prime the reply. */
export function countPromptTokens(messages: readonly CountedMessage[]): number {
  let total = TOKENS_PER_REPLY;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + countTokens(message.role);
    for (const text of message.texts) total += countTokens(text);
  }
  return total;
}
