// POST /v1/chat/completions: validate once, run over the model's routes, send JSON or stream SSE bytes through.
import { deriveRequestNeeds } from '../policy/index.ts';
import { chatCompletionRequestSchema, parseRequest, type Usage } from '../wire/index.ts';
import type { Exchange, GatewayContext } from './gateway-types.ts';
import { readJsonBody } from './read-body.ts';
import { routeHeaders } from './route-headers.ts';
import { routeRequest } from './route-request.ts';
import { writeStream } from './write-stream.ts';

/** Handles a chat completion, streaming or not. */
export async function handleChatCompletions(gateway: GatewayContext, exchange: Exchange): Promise<void> {
  const body = await readJsonBody(exchange.req, gateway.bodyLimitBytes);
  const { models, crossway, ...request } = parseRequest(chatCompletionRequestSchema, body);
  const stream = request.stream === true;
  exchange.log = { endpoint: 'chat.completions', model: request.model, stream };
  const routing = { kind: 'chat' as const, model: request.model, fallbackModels: models, preferences: crossway, needs: deriveRequestNeeds(request) };

  if (!stream) {
    const executed = await routeRequest(gateway, exchange, routing, (routes, onAttempt) => gateway.executor.chat(request, routes, { signal: exchange.signal, onAttempt }));
    recordExecution(exchange, executed.route.id, executed.attempts.length, executed.value.completion.usage);
    const payload = executed.value.passthroughBody ?? Buffer.from(JSON.stringify(executed.value.completion));
    exchange.res.writeHead(200, {
      ...routeHeaders(executed),
      'content-type': 'application/json',
      'content-length': payload.byteLength,
    });
    exchange.res.end(payload);
    return;
  }

  const executed = await routeRequest(gateway, exchange, routing, (routes, onAttempt) =>
    gateway.executor.chatStream(request, routes, {
      signal: exchange.signal,
      onAttempt,
      includeUsage: request.stream_options?.include_usage === true,
    }),
  );
  const outcome = await writeStream(exchange.res, routeHeaders(executed), executed.value.body, exchange.signal);
  recordExecution(exchange, executed.route.id, executed.attempts.length, executed.value.usage() ?? undefined);
  if (exchange.log !== null) {
    exchange.log.ttfb_ms = outcome.firstByteAt === null ? null : Math.round(outcome.firstByteAt - exchange.startedAt);
    if (outcome.error !== null) {
      exchange.log.status = outcome.error.status;
      exchange.log.error_code = outcome.error.code;
    }
  }
}

function recordExecution(exchange: Exchange, route: string, attempts: number, usage: Usage | undefined): void {
  if (exchange.log === null) return;
  exchange.log.route = route;
  exchange.log.attempts = attempts;
  if (usage !== undefined) {
    exchange.log.prompt_tokens = usage.prompt_tokens;
    exchange.log.completion_tokens = usage.completion_tokens;
    exchange.log.cached_tokens = usage.prompt_tokens_details?.cached_tokens ?? null;
  }
}
