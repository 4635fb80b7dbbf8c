// Headers that tell the client which route answered and how many tries it took.
import type { Executed } from '../execute/index.ts';

/** `x-crossway-route`, `x-crossway-attempts` and the cloud's own request id when it sent one. */
export function routeHeaders(executed: Executed<unknown>): Record<string, string> {
  const headers: Record<string, string> = {
    'x-crossway-route': executed.route.id,
    'x-crossway-attempts': String(executed.attempts.length),
  };
  if (executed.upstreamRequestId !== null) headers['x-crossway-upstream-request-id'] = executed.upstreamRequestId;
  return headers;
}
