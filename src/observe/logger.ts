// Crossway's structured logger: pino writing JSON lines, with credentials censored by pino's `redact` before a line is written.
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Property names whose values are credentials: HTTP headers (lower case, as Node delivers them), configuration and cloud SDK fields. */
export const secretKeys: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'api-key', // Azure OpenAI's key header
  'x-api-key',
  'x-goog-api-key',
  'apiKey',
  'api_key',
  'key',
  'password',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'secretAccessKey',
  'sessionToken',
  'master_key',
];

// pino's `*` matches exactly one level and every wildcard path costs time on every line for every top-level field
// (about 0.15 µs each), so keys are listed down to two levels below the top — `{ req: { headers: { authorization } } }` —
// and no deeper: log request and upstream headers at most that deep.
const maxSecretDepth = 2;

/** The pino redact paths: each secret key at the top and one and two levels down (`key`, `*.key`, `*.*.key`). */
export const redactPaths: readonly string[] = secretKeys.flatMap((key) => {
  // Names that are not identifiers (`api-key`) need bracket notation: `*.*["api-key"]`.
  const isIdentifier = /^[A-Za-z_$][\w$]*$/.test(key);
  return Array.from({ length: maxSecretDepth + 1 }, (_, depth) => {
    if (isIdentifier) return `${'*.'.repeat(depth)}${key}`;
    return depth === 0 ? `["${key}"]` : `${'*.'.repeat(depth - 1)}*["${key}"]`;
  });
});

export interface CreateLoggerOptions {
  level?: Level | 'silent';
  /** Where lines go; standard output when omitted. */
  destination?: DestinationStream;
}

/**
 * Creates a logger that writes `[redacted]` for every value under a name in `secretKeys`, up to two levels below the top
 * of a logged object or a child's bindings (message strings are not scanned: never format a credential into one).
 */
export function createLogger({ level = 'info', destination }: CreateLoggerOptions = {}): Logger {
  const options = { level, redact: { paths: [...redactPaths], censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
