// POST /v1/messages and /v1/messages/count_tokens: Anthropic's Messages API on the same core as chat completions. The
// request is translated to a chat call (src/messages), run by completeChat / streamChat over the model's routes, and
// the answer or the stream translated back; errors are Anthropic's (the route's errorShape).
import { checkModelScope, completeChat, resolveModel, streamChat, type CallInfo } from '../calls/index.ts';
import { convertChatCompletionToMessage, convertMessagesToChatRequest, createMessagesStreamTranslator, encodeMessagesStreamEvents } from '../messages/index.ts';
import { deriveRequestNeeds } from '../policy/index.ts';
import { messagesCountTokensRequestSchema, messagesRequestSchema, parseRequest } from '../wire/index.ts';
import { callContextOf } from './call-context-of.ts';
import { callHeaders } from './call-headers.ts';
import { logChatCall } from './log-chat-call.ts';
import type { Exchange, GatewayContext, HttpResult } from './gateway-types.ts';
import { anthropicRateLimitHeaders, jsonResult } from './http-result.ts';
import { readJsonBody } from './read-body.ts';

/** Handles a Messages call, streaming or not. Unknown `anthropic-beta` flags and `?beta=true` change nothing. */
export async function handleMessages(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const body = await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody);
  const request = parseRequest(messagesRequestSchema, body);
  const chat = convertMessagesToChatRequest(request);
  const stream = chat.stream === true;
  exchange.log = { endpoint: 'messages', model: request.model, stream };
  const call = { request: chat, endpoint: 'messages', parseChunks: stream };
  const context = callContextOf(exchange);

  if (!stream) {
    const result = await completeChat(gateway, context, call);
    logChatCall(exchange, result.info, result.completion.usage);
    return jsonResult(200, convertChatCompletionToMessage(result.completion, result.info.model), messagesHeaders(result.info));
  }
  // Made when the route is known: the message names the catalog's model, whichever cloud serves it.
  let translator: ReturnType<typeof createMessagesStreamTranslator> | null = null;
  const messageId = `msg_${exchange.requestId.replace(/^req_/, '')}`;
  return {
    status: 200,
    headers: {},
    errorShape: 'anthropic',
    async stream(writer) {
      // message_start (and a ping) go out with the first piece of the stream: one write, with its backpressure.
      let pending = '';
      const ended = await streamChat(gateway, context, call, {
        started(info) {
          logChatCall(exchange, info, undefined);
          writer.head(messagesHeaders(info));
          translator = createMessagesStreamTranslator(messageId, info.model);
          pending = encodeMessagesStreamEvents(translator.start());
        },
        write(_bytes, chunks) {
          const text = pending + encodeMessagesStreamEvents(chunks === null || translator === null ? [] : translator.push(chunks));
          pending = '';
          return text === '' ? undefined : writer.write(text);
        },
      });
      logChatCall(exchange, null, ended.usage ?? undefined);
      if (ended.error !== null) {
        if (pending !== '' && !exchange.signal.aborted) await writer.write(pending);
        throw ended.error;
      }
      // The usage was committed before streamChat resolved: message_delta and message_stop are the last bytes.
      if (translator === null) return;
      await writer.write(pending + encodeMessagesStreamEvents(translator.finish(ended.usage)));
    },
  };
}

/**
 * Counts the input tokens of a Messages request as the planner does (o200k_base, OpenAI's message framing), for the
 * model it names; nothing is called or metered. Refused like a call for an unknown model or one outside the key's scope.
 */
export async function handleCountMessageTokens(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const body = await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody);
  const request = parseRequest(messagesCountTokensRequestSchema, body);
  const context = callContextOf(exchange);
  checkModelScope(gateway, context.principal, [request.model]);
  resolveModel(gateway.catalog, request.model, 'chat');
  const needs = deriveRequestNeeds(convertMessagesToChatRequest(request));
  await needs.measureExactInputTokens?.(exchange.signal);
  return jsonResult(200, { input_tokens: needs.exactInputTokens?.() ?? needs.inputTokens });
}

/** Crossway's call headers, with the caller's rate limits in Anthropic's `anthropic-ratelimit-*` form as well. */
function messagesHeaders(info: CallInfo): Record<string, string> {
  const headers = callHeaders(info);
  return { ...headers, ...anthropicRateLimitHeaders(headers) };
}
