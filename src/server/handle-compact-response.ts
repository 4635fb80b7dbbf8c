// POST /v1/responses/compact: parse once, run the compaction service, answer its `response.compaction` object.
import { compactResponse } from '../turns/index.ts';
import { compactRequestSchema, parseRequest } from '../wire/index.ts';
import { callContextOf } from './call-context-of.ts';
import { callHeaders } from './call-headers.ts';
import { logCallInfo } from './log-chat-call.ts';
import type { Exchange, GatewayContext, HttpResult } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';
import { readJsonBody } from './read-body.ts';

/** Compacts; answers `{id, object: "response.compaction", created_at, output, usage}`. */
export async function handleCompactResponse(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const request = parseRequest(compactRequestSchema, await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody));
  exchange.log = { endpoint: 'responses.compact', model: request.model, stream: false };
  const { info, compaction } = await compactResponse(gateway, callContextOf(exchange), request);
  logCallInfo(exchange, info);
  return jsonResult(200, compaction, callHeaders(info));
}
