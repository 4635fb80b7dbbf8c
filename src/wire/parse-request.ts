// Turns a zod validation failure into an OpenAI-style 400 that names the offending parameter.
import type { z } from 'zod';
import { InvalidRequestError } from './crossway-error.ts';

/** Validates `value` against `schema`; throws InvalidRequestError naming the first bad parameter. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new InvalidRequestError('Invalid request body.');
  const param = formatPath(issue.path);
  const where = param === '' ? 'Request body' : `'${param}'`;
  throw new InvalidRequestError(`Invalid value for ${where}: ${issue.message}.`, param === '' ? null : param);
}

/** `['messages', 0, 'content']` -> `messages[0].content` (OpenAI's `param` notation). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
