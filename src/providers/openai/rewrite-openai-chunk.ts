// Text-level edits of an OpenAI-wire chunk or completion that is otherwise passed through unchanged: the `model` value
// the client is answered with, and the `"usage": null` member a stream carries only because Crossway asked the cloud
// for usage on its own behalf. Each is one indexOf and a slice or two, no JSON.parse (issue 19).
// In JSON text a key is a quoted string followed by a colon; the same letters inside a string value have their quotes
// escaped, so the first match is a real key. OpenAI's chunk and completion objects have `model` and `usage` at the
// top level only, before or after `choices`, whose content is all strings.

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;

function skipSpace(text: string, at: number): number {
  let i = at;
  for (let code = text.charCodeAt(i); code === SPACE || code === TAB || code === LF || code === CR; code = text.charCodeAt(i)) i++;
  return i;
}

function skipSpaceBack(text: string, at: number): number {
  let i = at;
  for (let code = text.charCodeAt(i); code === SPACE || code === TAB || code === LF || code === CR; code = text.charCodeAt(i)) i--;
  return i;
}

/** Where the value of the first `quotedKey` member starts (after the colon and spaces), or -1. */
function findMemberValue(text: string, quotedKey: string): { keyAt: number; valueAt: number } | null {
  let at = text.indexOf(quotedKey);
  while (at !== -1) {
    const colon = skipSpace(text, at + quotedKey.length);
    if (text.charCodeAt(colon) === COLON) return { keyAt: at, valueAt: skipSpace(text, colon + 1) };
    at = text.indexOf(quotedKey, at + quotedKey.length);
  }
  return null;
}

/**
 * `text` with the string value of its first `"model"` member replaced by `model`; the same string (===) when it has
 * no such member, its value is not a string, or it already is `model`.
 */
export function replaceJsonModel(text: string, model: string): string {
  const found = findMemberValue(text, '"model"');
  if (found === null || text.charCodeAt(found.valueAt) !== QUOTE) return text;
  let end = found.valueAt + 1;
  for (let code = text.charCodeAt(end); code !== QUOTE; code = text.charCodeAt(end)) {
    if (Number.isNaN(code)) return text; // an unterminated string: not ours to mend
    end += code === BACKSLASH ? 2 : 1;
  }
  const value = JSON.stringify(model);
  if (text.slice(found.valueAt, end + 1) === value) return text;
  return text.slice(0, found.valueAt) + value + text.slice(end + 1);
}

/** `text` without its `"usage": null` member (and the comma that joined it); the same string (===) when it has none. */
export function dropNullUsage(text: string): string {
  const found = findMemberValue(text, '"usage"');
  if (found === null || !text.startsWith('null', found.valueAt)) return text;
  const afterValue = found.valueAt + 4;
  const before = skipSpaceBack(text, found.keyAt - 1);
  // A member after another takes the comma before it; the first member takes the comma after it.
  if (text.charCodeAt(before) === COMMA) return text.slice(0, before) + text.slice(afterValue);
  const after = skipSpace(text, afterValue);
  if (text.charCodeAt(after) === COMMA) return text.slice(0, found.keyAt) + text.slice(skipSpace(text, after + 1));
  return text.slice(0, found.keyAt) + text.slice(afterValue);
}
