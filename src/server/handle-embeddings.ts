// POST /v1/embeddings: parse once, run the embeddings service, send the cloud's bytes through.
import { createEmbeddings } from '../calls/index.ts';
import { embeddingRequestSchema, parseRequest } from '../wire/index.ts';
import { callContextOf } from './call-context-of.ts';
import { callHeaders } from './call-headers.ts';
import { logCallInfo } from './log-chat-call.ts';
import type { Exchange, GatewayContext, HttpResult } from './gateway-types.ts';
import { readJsonBody } from './read-body.ts';

/** Handles an embeddings request. */
export async function handleEmbeddings(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const body = await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody);
  const { models, crossway, ...request } = parseRequest(embeddingRequestSchema, body);
  exchange.log = { endpoint: 'embeddings', model: request.model, stream: false };
  const result = await createEmbeddings(gateway, callContextOf(exchange), { request, fallbackModels: models, preferences: crossway });
  logCallInfo(exchange, result.info);
  exchange.log.prompt_tokens = result.response.usage.prompt_tokens;
  return { status: 200, headers: callHeaders(result.info), body: result.body };
}
