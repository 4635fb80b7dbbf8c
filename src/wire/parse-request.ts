// Turns a zod validation failure into an OpenAI-style 400 that names the offending parameter.
import type { z } from 'zod';
import { InvalidRequestError } from './crossway-error.ts';
import { excerpt } from './excerpt.ts';

/** Validates `value` against `schema`; throws InvalidRequestError naming the first bad parameter. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new InvalidRequestError('Invalid request body.');
  const param = formatPath(issue.path);
  const where = param === '' ? 'Request body' : `'${param}'`;
  throw new InvalidRequestError(`Invalid value for ${where}: ${describeIssue(issue)}.`, param === '' ? null : param);
}

/** Zod's message, except where it would quote client text at length (an unknown key is named by an excerpt). */
export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unrecognized key${issue.keys.length === 1 ? '' : 's'}: ${issue.keys
      .slice(0, 3)
      .map((key) => `'${excerpt(key, 32)}'`)
      .join(', ')}`;
  return excerpt(issue.message, 256);
}

/** `['messages', 0, 'content']` -> `messages[0].content` (OpenAI's `param` notation). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    // Keys come from the client's JSON: an excerpt, so that a megabyte-long key is not echoed in `param`.
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? excerpt(String(key), 32) : `.${excerpt(String(key), 32)}`;
  }
  // A path into deeply nested JSON is long too: its start and end say where.
  return out.length <= 256 ? out : `${out.slice(0, 128)}…${out.slice(-64)}`;
}
