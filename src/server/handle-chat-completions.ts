// POST /v1/chat/completions: validate once, run over the model's routes, send JSON or stream SSE bytes through; the
// call's usage is committed to the ledger before the response's last byte leaves.
import { deriveRequestNeeds, type RequestNeeds } from '../policy/index.ts';
import { chatCompletionRequestSchema, ClientClosedError, parseRequest, type Usage } from '../wire/index.ts';
import type { ChatStream, Executed } from '../execute/index.ts';
import type { Exchange, GatewayContext } from './gateway-types.ts';
import { readJsonBody } from './read-body.ts';
import { estimateTokenUsage, readCompletionUsage, readStreamUsage, readTokenUsage } from './read-token-usage.ts';
import { routeHeaders } from './route-headers.ts';
import { routeRequest } from './route-request.ts';
import { StreamedOutputTally } from './streamed-output-tally.ts';
import { writeStream, type StreamHooks } from './write-stream.ts';

/** Handles a chat completion, streaming or not. */
export async function handleChatCompletions(gateway: GatewayContext, exchange: Exchange): Promise<void> {
  const body = await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody);
  const { models, crossway, ...request } = parseRequest(chatCompletionRequestSchema, body);
  const stream = request.stream === true;
  exchange.log = { endpoint: 'chat.completions', model: request.model, stream };
  const needs = deriveRequestNeeds(request);
  const routing = { kind: 'chat' as const, endpoint: 'chat.completions', model: request.model, fallbackModels: models, preferences: crossway, needs };

  if (!stream) {
    const executed = await routeRequest(gateway, exchange, routing, (routes, onAttempt) =>
      gateway.executor.chat(request, routes, { signal: exchange.signal, onAttempt }),
    );
    recordExecution(exchange, executed.route.id, executed.attempts.length, executed.value.completion.usage);
    const metered = readCompletionUsage(executed.value.completion, needs);
    await exchange.meter?.complete({ route: executed.route, ...metered, status: 200 });
    const payload = executed.value.passthroughBody ?? Buffer.from(JSON.stringify(executed.value.completion));
    exchange.res.writeHead(200, {
      ...routeHeaders(executed),
      ...exchange.meter?.headers(),
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
  const metering = meterStream(exchange, executed, needs);
  const outcome = await writeStream(
    exchange.res,
    { ...routeHeaders(executed), ...exchange.meter?.headers() },
    executed.value.events,
    exchange.signal,
    metering.hooks,
  );
  const usage = metering.usage();
  recordExecution(exchange, executed.route.id, executed.attempts.length, usage ?? undefined);
  if (outcome.error !== null) {
    // Cut or failed mid-stream: metered for what was produced (the cloud's usage when it came, else counted).
    const status = outcome.error instanceof ClientClosedError ? 499 : outcome.error.status;
    await exchange.meter?.complete({ route: executed.route, ...readStreamUsage(usage, needs, metering.tally), status }).catch((error: unknown) => {
      gateway.logger.error({ err: error, requestId: exchange.requestId }, 'metering an interrupted stream failed');
    });
  }
  if (exchange.log !== null) {
    exchange.log.ttfb_ms = outcome.firstByteAt === null ? null : Math.round(outcome.firstByteAt - exchange.startedAt);
    if (outcome.error !== null) {
      exchange.log.status = outcome.error.status;
      exchange.log.error_code = outcome.error.code;
    }
  }
}

/**
 * Tallies the stream's text and commits the usage event on the stream's usage event, which comes before the bytes
 * that end the stream, so the commit lands before them. A stream that ends without usage (an OpenAI-compatible server
 * that reports none) is committed with counted tokens before the response ends. No chunk is held back waiting for
 * the next one.
 */
function meterStream(exchange: Exchange, executed: Executed<ChatStream>, needs: RequestNeeds) {
  const tally = new StreamedOutputTally();
  let usage: Usage | null = null;
  const hooks: StreamHooks = {
    onChunks: (bytes, chunks) => tally.pushChat(bytes, chunks),
    onUsage(reported) {
      usage = reported;
      return exchange.meter?.complete({ route: executed.route, usage: readTokenUsage(reported), estimated: false, status: 200 }).then(() => undefined);
    },
    async beforeEnd() {
      if (usage !== null) return;
      await exchange.meter?.complete({ route: executed.route, usage: estimateTokenUsage(needs, tally.outputTokens()), estimated: true, status: 200 });
    },
  };
  return { hooks, tally, usage: (): Usage | null => usage };
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
