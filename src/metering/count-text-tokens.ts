// Counts tokens of text with the real o200k_base tokenizer (the encoding of GPT-4o and later OpenAI models), for
// usage a cloud did not report. Loaded on first use: its tables cost ~55 MB, and most calls come with usage.
import { createRequire } from 'node:module';

type CountTokens = (text: string, options: { disallowedSpecial: Set<string> }) => number;
let countTokens: CountTokens | undefined;

// Text from clients and models may contain special-token spellings (`<|endoftext|>`); they count as the plain text they are.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** The o200k_base token count of `text`. */
export function countTextTokens(text: string): number {
  if (text === '') return 0;
  countTokens ??= (createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as { countTokens: CountTokens }).countTokens;
  return countTokens(text, PLAIN_TEXT);
}
