// POST /v1/chat/completions: parse once, run the chat service, answer its JSON or stream its SSE bytes through.
import { completeChat, streamChat } from '../calls/index.ts';
import { chatCompletionRequestSchema, parseRequest } from '../wire/index.ts';
import { callContextOf } from './call-context-of.ts';
import { callHeaders } from './call-headers.ts';
import { logChatCall } from './log-chat-call.ts';
import type { Exchange, GatewayContext, HttpResult } from './gateway-types.ts';
import { readJsonBody } from './read-body.ts';

/** Handles a chat completion, streaming or not. */
export async function handleChatCompletions(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const body = await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody);
  const { models, crossway, ...request } = parseRequest(chatCompletionRequestSchema, body);
  const stream = request.stream === true;
  exchange.log = { endpoint: 'chat.completions', model: request.model, stream };
  const call = { request, fallbackModels: models, preferences: crossway };
  const context = callContextOf(exchange);

  if (!stream) {
    const result = await completeChat(gateway, context, call);
    logChatCall(exchange, result.info, result.completion.usage);
    return { status: 200, headers: callHeaders(result.info), body: result.body };
  }
  return {
    status: 200,
    headers: {},
    async stream(writer) {
      const ended = await streamChat(gateway, context, call, {
        started(info) {
          logChatCall(exchange, info, undefined);
          writer.head(callHeaders(info));
        },
        write: (bytes) => writer.write(bytes),
      });
      logChatCall(exchange, null, ended.usage ?? undefined);
      if (ended.error !== null) throw ended.error;
    },
  };
}
