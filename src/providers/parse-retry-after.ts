// Reads how long a cloud asked us to wait before retrying, from `retry-after-ms` or `Retry-After`.
// Sources: RFC 9110 §10.2.3 (Retry-After: delay-seconds or HTTP-date); `retry-after-ms` (milliseconds) is sent by
// Azure OpenAI on 429s and honoured by the official OpenAI SDKs (openai-node `retryRequest`).
import type { UpstreamHeaders } from './provider-adapter.ts';

/** The first value of a header (undici lower-cases names; repeated headers arrive as arrays). */
export function readHeader(headers: UpstreamHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Milliseconds to wait before retrying, or null when the reply does not say. `retry-after-ms` wins over
 * `retry-after`. An HTTP-date is measured against the reply's own `Date` header: adapters have no clock, and the
 * server's clock is the one the date was written with, so skew between the clocks cancels out. Without a `Date`
 * header an HTTP-date cannot be read and null is returned.
 */
export function parseRetryAfterMs(headers: UpstreamHeaders): number | null {
  const milliseconds = parseNonNegativeNumber(readHeader(headers, 'retry-after-ms'));
  if (milliseconds !== null) return Math.ceil(milliseconds);
  const value = readHeader(headers, 'retry-after')?.trim();
  if (value === undefined || value === '') return null;
  const seconds = parseNonNegativeNumber(value);
  if (seconds !== null) return Math.ceil(seconds * 1000);
  const until = Date.parse(value);
  const now = Date.parse(readHeader(headers, 'date') ?? '');
  if (Number.isNaN(until) || Number.isNaN(now)) return null;
  return Math.max(0, until - now);
}

function parseNonNegativeNumber(value: string | undefined): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return null;
  return Number(trimmed);
}
