// Sends a small JSON body with its length.
import type { ServerResponse } from 'node:http';

/** Writes `value` as a JSON response. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const payload = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}
