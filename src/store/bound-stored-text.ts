// Bounds on what the store keeps of client-supplied text in its log-like tables (request log, decisions, usage
// events): a hostile model name of megabytes must cost the disk a few hundred bytes, whatever the layers above let by.

/** Most characters a client-supplied text column (a model name, say) keeps: 256. */
export const STORED_TEXT_MAX_CHARS = 256;
/** Most characters a longer free text (a rejection's detail, an attempt's error) keeps: 1,024. */
export const STORED_DETAIL_MAX_CHARS = 1_024;
/** Most entries a list inside stored client JSON (a decision's constraints) keeps: 64. */
export const STORED_LIST_MAX_ENTRIES = 64;
/** Deepest nesting of stored client JSON kept: 8 levels; anything deeper is replaced by null. */
export const STORED_JSON_MAX_DEPTH = 8;

/** `text` when it fits `maxChars`, else its first characters and an ellipsis, `maxChars` in all (never half a surrogate pair). */
export function truncateStoredText(text: string, maxChars = STORED_TEXT_MAX_CHARS): string {
  if (text.length <= maxChars) return text;
  let end = maxChars - 1;
  // A cut between the halves of a surrogate pair would store a lone surrogate (U+FFFD once encoded as UTF-8).
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** truncateStoredText for a nullable column. */
export function truncateStoredNullable(text: string | null, maxChars = STORED_TEXT_MAX_CHARS): string | null {
  return text === null ? null : truncateStoredText(text, maxChars);
}

/**
 * A bounded copy of client JSON: strings truncated (truncateStoredText), lists cut to STORED_LIST_MAX_ENTRIES,
 * objects to as many keys (names truncated too), and values nested deeper than STORED_JSON_MAX_DEPTH replaced by null.
 */
export function boundStoredJson(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return truncateStoredText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= STORED_JSON_MAX_DEPTH) return null;
  if (Array.isArray(value)) return value.slice(0, STORED_LIST_MAX_ENTRIES).map((element) => boundStoredJson(element, depth + 1));
  const bounded: Record<string, unknown> = {};
  let count = 0;
  for (const name in value) {
    if (!Object.hasOwn(value, name)) continue;
    if (count++ >= STORED_LIST_MAX_ENTRIES) break;
    bounded[truncateStoredText(name)] = boundStoredJson((value as Record<string, unknown>)[name], depth + 1);
  }
  return bounded;
}
