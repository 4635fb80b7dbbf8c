// POST /v1/embeddings: validate once, run over the model's routes, send the cloud's bytes through.
import { deriveEmbeddingNeeds } from '../policy/index.ts';
import { embeddingRequestSchema, parseRequest } from '../wire/index.ts';
import type { Exchange, GatewayContext } from './gateway-types.ts';
import { readJsonBody } from './read-body.ts';
import { routeHeaders } from './route-headers.ts';
import { routeRequest } from './route-request.ts';

/** Handles an embeddings request. */
export async function handleEmbeddings(gateway: GatewayContext, exchange: Exchange): Promise<void> {
  const body = await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody);
  const { models, crossway, ...request } = parseRequest(embeddingRequestSchema, body);
  exchange.log = { endpoint: 'embeddings', model: request.model, stream: false };
  const routing = {
    kind: 'embedding' as const,
    endpoint: 'embeddings',
    model: request.model,
    fallbackModels: models,
    preferences: crossway,
    needs: deriveEmbeddingNeeds(request),
  };
  const executed = await routeRequest(gateway, exchange, routing, (routes, onAttempt) =>
    gateway.executor.embeddings(request, routes, { signal: exchange.signal, onAttempt }),
  );
  const { response, passthroughBody } = executed.value;
  exchange.log.route = executed.route.id;
  exchange.log.attempts = executed.attempts.length;
  exchange.log.prompt_tokens = response.usage.prompt_tokens;
  const input = response.usage.prompt_tokens;
  await exchange.meter?.complete({ route: executed.route, usage: { input_tokens: input, cached_tokens: 0, output_tokens: 0 }, estimated: false, status: 200 });
  const payload = passthroughBody ?? Buffer.from(JSON.stringify(response));
  exchange.res.writeHead(200, {
    ...routeHeaders(executed),
    ...exchange.meter?.headers(),
    'content-type': 'application/json',
    'content-length': payload.byteLength,
  });
  exchange.res.end(payload);
}
