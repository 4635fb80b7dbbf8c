// Token counting for the emulators with the o200k_base encoding (GPT-4o, GPT-4.1, GPT-5 and o-series models).
// Prompt accounting follows OpenAI's cookbook "How to count tokens with tiktoken": every message costs 3 tokens of
// framing plus its fields, and every reply is primed with 3 more (`<|start|>assistant<|message|>`).
import { countTokens as countO200kTokens, decode, encode } from 'gpt-tokenizer/encoding/o200k_base';

/** Framing tokens OpenAI adds around each chat message. */
export const TOKENS_PER_MESSAGE = 3;
/** Tokens that prime every assistant reply. */
export const TOKENS_PER_REPLY = 3;

/**
 * Characters of one run without white space that is tokenized as a whole. Byte-pair merging is quadratic in the length
 * of such a run (40,000 letters take about a second, as many CJK characters several), and the demo runs the emulators
 * in the gateway's process: longer runs are tokenized in slices of this size, which can count a token or two more per
 * slice than the cloud would.
 */
const MAX_RUN_CHARACTERS = 256;
const LONG_RUN = new RegExp(`\\S{${MAX_RUN_CHARACTERS + 1},}`, 'gu');

/** `text` cut so that no piece holds a run without white space longer than MAX_RUN_CHARACTERS (joined, the same text). */
function splitLongRuns(text: string): string[] {
  if (text.length <= MAX_RUN_CHARACTERS) return [text];
  const pieces: string[] = [];
  let start = 0;
  for (const match of text.matchAll(LONG_RUN)) {
    if (match.index > start) pieces.push(text.slice(start, match.index));
    const run = match[0];
    for (let at = 0; at < run.length; ) {
      let end = Math.min(at + MAX_RUN_CHARACTERS, run.length);
      // Never cut a surrogate pair in two.
      if (end < run.length && /[\uD800-\uDBFF]/.test(run[end - 1] ?? '')) end -= 1;
      pieces.push(run.slice(at, end));
      at = end;
    }
    start = match.index + run.length;
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

/** Number of o200k_base tokens in `text` (long runs without white space in slices, see MAX_RUN_CHARACTERS). */
export function countTokens(text: string): number {
  if (text === '') return 0;
  let total = 0;
  for (const piece of splitLongRuns(text)) total += countO200kTokens(piece);
  return total;
}

/** The first `maxTokens` tokens of `text`, decoded back to a string. */
export function truncateToTokens(text: string, maxTokens: number): string {
  const kept: string[] = [];
  let left = maxTokens;
  for (const piece of splitLongRuns(text)) {
    const tokens = encode(piece);
    if (tokens.length > left) {
      kept.push(decode(tokens.slice(0, left)));
      return kept.join('');
    }
    kept.push(piece);
    left -= tokens.length;
  }
  return text;
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
