// Removes credentials from whatever an upstream answers before it becomes Crossway data (a client's answer or error, a
// decision record, a log line): an upstream that reflects request headers must not hand a route's key to a tenant.
import { Secret, type Route } from '../catalog/index.ts';
import type { UpstreamRequest } from '../providers/index.ts';
import { UpstreamError } from '../wire/index.ts';

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/** Shorter values are not treated as secrets: they would match ordinary text (no real credential is this short). */
export const MIN_SECRET_LENGTH = 8;

/** Request headers whose values are credentials, whichever authenticator set them (plus a route's own `auth.header`). */
const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'api-key',
  'x-api-key',
  'x-goog-api-key',
  'x-amz-security-token',
  'ocp-apim-subscription-key',
]);

/**
 * Recognisable key shapes, scrubbed from error texts and headers only (in a successful answer they may be the model's
 * legitimate output): OpenAI-style `sk-` keys, AWS access key ids, bearer tokens, JWTs (Entra), Google access tokens.
 */
const KEY_SHAPES: readonly [RegExp, (match: string) => string][] = [
  [/\bBearer\s+[\w.~+/=-]{8,}/gi, () => `Bearer ${REDACTED}`],
  [/\bsk-[\w-]{16,}/g, () => REDACTED],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, () => REDACTED],
  // A whole run of token characters, then checked for a JWT's three parts: linear, where `eyJ[\w-]+\.[\w-]+` would
  // backtrack quadratically over a hostile "eyJ-eyJ-eyJ-..." without dots.
  [/\beyJ[\w.-]+/g, (match) => (/^eyJ[\w-]+\.[\w-]+\.[\w-]+/.test(match) ? REDACTED : match)],
  [/\bya29\.[\w.-]+/g, () => REDACTED],
];

/** How many nested causes of an error are scrubbed (pino logs causes too). */
const MAX_CAUSE_DEPTH = 4;

/** Scrubs one attempt's secrets; the identity (and free) when there are none. */
export interface SecretScrubber {
  /** Whether any secret is known: when false, `bytes` and `stream` return their input. */
  readonly hasSecrets: boolean;
  /** Exact secrets and key shapes: for error texts and header values. */
  text(value: string): string;
  /** Exact secrets only: for a whole answer's bytes. Returns the input itself when no secret occurs in it. */
  bytes(body: Uint8Array): Buffer;
  /**
   * Exact secrets only, across chunk boundaries: a chunk's tail that could begin a secret (at most the longest
   * secret's length - 1 bytes, and only when it matches a secret's start) is held back until the next chunk.
   */
  stream(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array>;
  /** Scrubs an error in place (message, stack, details, causes) and returns it. */
  error<E extends Error>(error: E): E;
}

const routeSecretsMemo = new WeakMap<Route, string[]>();

/** Every credential configured on the route (keys, client secrets, AWS keys), memoised per route object. */
export function routeSecrets(route: Route): string[] {
  let secrets = routeSecretsMemo.get(route);
  if (secrets === undefined) {
    secrets = Object.values(route.auth).flatMap((value) => (value instanceof Secret ? [value.reveal()] : []));
    routeSecretsMemo.set(route, secrets);
  }
  return secrets;
}

/**
 * The credentials an attempt actually sent: the values of its credential headers (Authorization, api-key, x-api-key,
 * x-amz-security-token, ...; `extraHeader` too), and the token of a `<scheme> <token>` value and SigV4's signature.
 */
export function sentSecrets(request: UpstreamRequest, extraHeader?: string): string[] {
  const secrets: string[] = [];
  for (const value of credentialHeaderValues(request, extraHeader)) {
    secrets.push(value);
    const token = /^[A-Za-z0-9-]+\s+(\S+)$/.exec(value)?.[1];
    if (token !== undefined) secrets.push(token);
    const signature = /Signature=([0-9a-f]+)/.exec(value)?.[1];
    if (signature !== undefined) secrets.push(signature);
  }
  return secrets;
}

function credentialHeaderValues(request: UpstreamRequest, extraHeader?: string): string[] {
  const extra = extraHeader?.toLowerCase();
  const values: string[] = [];
  for (const name in request.headers) {
    const lower = name.toLowerCase();
    if (CREDENTIAL_HEADERS.has(lower) || lower === extra) values.push(request.headers[name]!);
  }
  return values;
}

const routeScrubbers = new WeakMap<Route, SecretScrubber>();
/** Per route, the scrubber of the credential headers last sent (static keys send the same ones every time). */
const sentScrubbers = new WeakMap<Route, { sent: string; scrubber: SecretScrubber }>();

/** The scrubber of a route's configured credentials, memoised per route object. */
export function scrubberForRoute(route: Route): SecretScrubber {
  let scrubber = routeScrubbers.get(route);
  if (scrubber === undefined) {
    scrubber = createSecretScrubber(routeSecrets(route));
    routeScrubbers.set(route, scrubber);
  }
  return scrubber;
}

/**
 * The scrubber of an attempt: the route's credentials and those its authorized request carries. Reused while a route
 * sends the same credentials (a static key, a cached token); a SigV4 signature, new each time, makes a new one.
 */
export function scrubberForAttempt(route: Route, request: UpstreamRequest): SecretScrubber {
  const extraHeader = route.auth.type === 'api-key' ? route.auth.header : undefined;
  const sent = credentialHeaderValues(request, extraHeader).join('\n');
  if (sent === '') return scrubberForRoute(route);
  const memo = sentScrubbers.get(route);
  if (memo !== undefined && memo.sent === sent) return memo.scrubber;
  const scrubber = createSecretScrubber([...routeSecrets(route), ...sentSecrets(request, extraHeader)]);
  sentScrubbers.set(route, { sent, scrubber });
  return scrubber;
}

/** A scrubber for the given secrets (duplicates and values shorter than MIN_SECRET_LENGTH are dropped). */
export function createSecretScrubber(values: Iterable<string>): SecretScrubber {
  const unique = new Set<string>();
  for (const value of values) {
    if (value.length < MIN_SECRET_LENGTH) continue;
    unique.add(value);
    // A secret reflected inside a JSON string is escaped there.
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) unique.add(escaped);
  }
  // Longest first, so that a whole header value goes before the token inside it.
  const texts = [...unique].sort((a, b) => b.length - a.length);
  let buffers: Buffer[] | null = null;
  const secretBuffers = (): Buffer[] => (buffers ??= texts.map((text) => Buffer.from(text)));
  const scrubText = (value: string): string => {
    let result = value;
    for (const secret of texts) if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    for (const [pattern, replace] of KEY_SHAPES) result = result.replace(pattern, replace);
    return result;
  };
  return {
    hasSecrets: texts.length > 0,
    text: scrubText,
    bytes: (body) => (texts.length === 0 ? asBuffer(body) : replaceSecrets(asBuffer(body), secretBuffers())),
    stream: (body) => (texts.length === 0 ? body : scrubStream(body, secretBuffers())),
    error: (error) => scrubError(error, scrubText),
  };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const REDACTED_BYTES = Buffer.from(REDACTED);

/** Replaces every occurrence of every secret; returns `data` itself when none occurs (one Buffer.indexOf per secret). */
function replaceSecrets(data: Buffer, secrets: readonly Buffer[]): Buffer {
  let result = data;
  for (const secret of secrets) {
    let at = result.indexOf(secret);
    if (at === -1) continue;
    const parts: Buffer[] = [];
    let from = 0;
    while (at !== -1) {
      parts.push(result.subarray(from, at), REDACTED_BYTES);
      from = at + secret.length;
      at = result.indexOf(secret, from);
    }
    parts.push(result.subarray(from));
    result = Buffer.concat(parts);
  }
  return result;
}

/**
 * A secret as the stream search uses it: as a latin1 string (one character per byte, so that string offsets are byte
 * offsets: V8's string search beats Buffer.indexOf's binding call on short chunks) and its first 4 characters.
 */
interface StreamSecret {
  text: string;
  head: string;
}

/** How many bytes at the end of the chunk are the start of some secret (a secret that may continue in the next chunk). */
function pendingSecretStart(text: string, secrets: readonly StreamSecret[]): number {
  let hold = 0;
  for (const secret of secrets) {
    const start = text.length - Math.min(secret.text.length - 1, text.length);
    // A start of 4 bytes or more shows as a match of the secret's first 4; the last 3 positions are checked alone.
    for (let at = text.indexOf(secret.head, start); at !== -1; at = text.indexOf(secret.head, at + 1)) {
      if (text.length - at > hold && startsSecret(text, at, secret.text)) hold = text.length - at;
    }
    for (let at = Math.max(start, text.length - 3); at < text.length; at += 1) {
      if (text.length - at > hold && startsSecret(text, at, secret.text)) hold = text.length - at;
    }
  }
  return hold;
}

/** Whether text[at..] (to its end) equals the start of the secret. */
function startsSecret(text: string, at: number, secret: string): boolean {
  for (let i = at; i < text.length; i += 1) if (text.charCodeAt(i) !== secret.charCodeAt(i - at)) return false;
  return true;
}

/**
 * Scrubs a byte stream chunk by chunk. A plain async iterator rather than an async generator: half the per-chunk
 * overhead. `return()` is passed on to the source, so that a consumer stopping early still releases the upstream body.
 */
function scrubStream(body: AsyncIterable<Uint8Array>, buffers: readonly Buffer[]): AsyncIterable<Uint8Array> {
  const secrets = buffers.map((bytes): StreamSecret => {
    const text = bytes.toString('latin1');
    return { text, head: text.slice(0, 4) };
  });
  const scrubChunk = (held: Buffer | null, chunk: Uint8Array): [out: Buffer, held: Buffer | null] => {
    let data: Buffer = held === null ? asBuffer(chunk) : Buffer.concat([held, chunk]);
    let text = data.toString('latin1');
    if (secrets.some((secret) => text.includes(secret.text))) {
      data = replaceSecrets(data, buffers);
      text = data.toString('latin1');
    }
    const hold = pendingSecretStart(text, secrets);
    if (hold === 0) return [data, null];
    // Copied: the upstream's chunk buffer may be reused once the next one is asked for.
    return [data.subarray(0, data.length - hold), Buffer.from(data.subarray(data.length - hold))];
  };
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      const source = body[Symbol.asyncIterator]();
      let held: Buffer | null = null;
      let ended = false;
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          while (!ended) {
            const result = await source.next();
            if (result.done === true) {
              ended = true;
              if (held !== null) return { done: false, value: held };
              break;
            }
            const [out, rest] = scrubChunk(held, result.value);
            held = rest;
            if (out.length > 0) return { done: false, value: out };
          }
          return { done: true, value: undefined };
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          ended = true;
          held = null;
          await source.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

function scrubError<E extends Error>(error: E, scrub: (value: string) => string): E {
  let current: Error = error;
  for (let depth = 0; ; depth += 1) {
    if (current instanceof UpstreamError && current.details !== undefined) {
      let details: Record<string, unknown> | undefined;
      try {
        details = JSON.parse(scrub(JSON.stringify(current.details))) as Record<string, unknown>;
      } catch {
        details = undefined;
      }
      replaceText(current, 'details', details);
    }
    const next: unknown = current.cause;
    if (next === undefined) break;
    // A cause past the depth bound, or one that cannot be scrubbed (read-only), is dropped rather than logged.
    if (depth === MAX_CAUSE_DEPTH - 1 || !(next instanceof Error) || !scrubTexts(next, scrub)) {
      replaceText(current, 'cause', undefined);
      break;
    }
    current = next;
  }
  scrubTexts(error, scrub);
  return error;
}

/** Scrubs an error's message and stack; false when one of them had a secret and could not be replaced. */
function scrubTexts(error: Error, scrub: (value: string) => string): boolean {
  const message = scrub(error.message);
  const stack = typeof error.stack === 'string' ? scrub(error.stack) : undefined;
  return (message === error.message || replaceText(error, 'message', message)) && (stack === error.stack || replaceText(error, 'stack', stack));
}

/** Sets an own property, also over a getter of the prototype (DOMException's message); false when the object refuses. */
function replaceText(target: object, key: string, value: unknown): boolean {
  try {
    Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: key !== 'stack' && key !== 'message' });
    return true;
  } catch {
    return false;
  }
}
