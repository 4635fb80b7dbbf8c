// Headers that tell the client about the call behind an answer: the decision that explains it, the route that
// answered, how many tries it took, the cloud's own request id, and the caller's rate limits.
import type { CallInfo } from '../calls/index.ts';

/**
 * `x-crossway-decision`, `x-crossway-route`, `x-crossway-attempts`, `x-crossway-upstream-model`, `x-crossway-upstream-request-id`,
 * `x-crossway-dropped-tools` and `x-ratelimit-*`.
 */
export function callHeaders(info: CallInfo): Record<string, string> {
  const headers: Record<string, string> = {
    'x-crossway-decision': info.decisionId,
    'x-crossway-route': info.route.id,
    'x-crossway-attempts': String(info.attempts),
    'x-crossway-upstream-model': info.upstreamModel,
    ...info.rateLimits,
  };
  if (info.upstreamRequestId !== null) headers['x-crossway-upstream-request-id'] = info.upstreamRequestId;
  // Hosted tools the request was sent without: the answer was made without them (see the decision's notes).
  if (info.droppedTools !== undefined && info.droppedTools.length > 0) headers['x-crossway-dropped-tools'] = info.droppedTools.join(', ');
  return headers;
}
