// Short excerpts of client-supplied values for error messages: an error never echoes more than a few dozen characters
// of what a client sent, however large the value was.
import { z } from 'zod';

/** Characters of a client value an error message quotes at most (the excerpt adds an ellipsis and the full length). */
export const EXCERPT_CHARACTERS = 64;

/** Longest model name a request may give (catalog ids and aliases are far shorter; OpenAI's are under 64). */
export const MAX_MODEL_NAME_CHARACTERS = 256;

/**
 * `text` when it is short, else its first EXCERPT_CHARACTERS characters, an ellipsis and the length:
 * `"aaaa…" (1048576 characters)`. Control characters are shown as `?` so that an excerpt cannot break a log line.
 */
export function excerpt(text: string, max: number = EXCERPT_CHARACTERS): string {
  const shown = text.length <= max ? text : `${text.slice(0, max)}…`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  const printable = shown.replace(/[\u0000-\u001f\u007f]/g, '?');
  return text.length <= max ? printable : `${printable} (${text.length} characters)`;
}

/**
 * A model name in a request: non-empty, at most MAX_MODEL_NAME_CHARACTERS characters and no control characters. The
 * name is written as text to the request log and the decision log, and PostgreSQL refuses a NUL in text: one such
 * row would fail every batch it is written with.
 */
export const modelNameSchema = z
  .string()
  .min(1)
  .max(MAX_MODEL_NAME_CHARACTERS)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'must hold no control characters');
