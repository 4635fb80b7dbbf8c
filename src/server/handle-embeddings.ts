// POST /v1/embeddings: validate once, run over the model's routes, send the cloud's bytes through.
import { embeddingRequestSchema, parseRequest } from '../wire/index.ts';
import type { Exchange, GatewayContext } from './gateway-types.ts';
import { readJsonBody } from './read-body.ts';
import { resolveModel } from './resolve-model.ts';
import { routeHeaders } from './route-headers.ts';

/** Handles an embeddings request. */
export async function handleEmbeddings(gateway: GatewayContext, exchange: Exchange): Promise<void> {
  const body = await readJsonBody(exchange.req, gateway.bodyLimitBytes);
  const request = parseRequest(embeddingRequestSchema, body);
  exchange.log = { endpoint: 'embeddings', model: request.model, stream: false };
  const { routes } = resolveModel(gateway.catalog, request.model, 'embedding');
  const executed = await gateway.executor.embeddings(request, routes, { signal: exchange.signal });
  const { response, passthroughBody } = executed.value;
  exchange.log.route = executed.route.id;
  exchange.log.attempts = executed.attempts.length;
  exchange.log.prompt_tokens = response.usage.prompt_tokens;
  const payload = passthroughBody ?? Buffer.from(JSON.stringify(response));
  exchange.res.writeHead(200, {
    ...routeHeaders(executed),
    'content-type': 'application/json',
    'content-length': payload.byteLength,
  });
  exchange.res.end(payload);
}
