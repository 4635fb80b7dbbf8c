// Reads a request body up to a byte limit and parses it as JSON exactly once.
import type { IncomingMessage } from 'node:http';
import { ClientClosedError, excerpt, formatPath, InvalidRequestError, PayloadTooLargeError } from '../wire/index.ts';
import { findExcessNesting, MAX_JSON_DEPTH } from './find-excess-nesting.ts';

/** The raw body; rejects with PayloadTooLargeError as soon as the limit is crossed. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.reject(new PayloadTooLargeError(limitBytes));
  // Events rather than `for await`: an async iterator per request costs more than the whole read of a small body.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        // Stop buffering; node:http discards the rest of the body once the response is sent.
        req.resume();
        reject(new PayloadTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    // The request stream fails only when the client's connection does (Node reports it as 'aborted'/ECONNRESET).
    const onError = (): void => {
      cleanup();
      reject(new ClientClosedError());
    };
    // A client that goes away mid-body: no 'end' will come.
    const onClose = (): void => {
      if (req.complete) return;
      cleanup();
      reject(new ClientClosedError());
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * The body as JSON; a malformed or non-object body, or one nesting deeper than MAX_JSON_DEPTH, is a 400 in OpenAI's
 * words (the latter naming where). `raw` is the body when it was read
 * already (an Idempotency-Key request hashes it first); it is still parsed only once.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number, raw: Buffer | null = null): Promise<Record<string, unknown>> {
  const contentType = req.headers['content-type'];
  if (contentType !== undefined && !/^application\/(.+\+)?json\b/i.test(contentType)) {
    throw new InvalidRequestError(
      `Unsupported content type '${excerpt(contentType, 64)}': send the body as application/json.`,
      null,
      'unsupported_content_type',
    );
  }
  const bytes = raw ?? (await readBody(req, limitBytes));
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidRequestError(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API " +
        'expects a JSON payload, but what was sent was not valid JSON.)',
      null,
      'invalid_json',
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidRequestError('The request body must be a JSON object.', null, 'invalid_json');
  }
  const tooDeep = findExcessNesting(parsed, MAX_JSON_DEPTH);
  if (tooDeep !== null) {
    const param = formatPath(tooDeep);
    throw new InvalidRequestError(`Invalid value for '${param}': JSON may nest at most ${MAX_JSON_DEPTH} levels deep.`, param, 'json_too_deep');
  }
  return parsed as Record<string, unknown>;
}
