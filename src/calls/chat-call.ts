// Chat completions as a service: one call over the model's routes, answered whole or streamed to a sink, with its
// usage committed to the ledger before the answer's last byte is delivered.
import type { ChatStream } from '../execute/index.ts';
import { joinAdjacent } from '../providers/index.ts';
import { deriveRequestNeeds, type RequestNeeds } from '../policy/index.ts';
import {
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  ClientClosedError,
  type CrosswayError,
  toCrosswayError,
  type Usage,
} from '../wire/index.ts';
import { answerModelOf, withAnswerModel } from './answer-model.ts';
import type { CallContext, CallServices } from './call-context.ts';
import { readCompletionUsage, readStreamUsage, readTokenUsage } from './read-token-usage.ts';
import { type CallInfo, type OpenCall, runModelCall } from './run-model-call.ts';
import { StreamedOutputTally } from './streamed-output-tally.ts';

/** A chat request as the core takes it: the OpenAI request, and Crossway's own fields beside it. */
export interface ChatCall {
  request: ChatCompletionRequest;
  /** The `models` fallback list. */
  fallbackModels?: readonly string[] | undefined;
  /** The request's `crossway` routing preferences. */
  preferences?: unknown;
  /**
   * A stream's sink needs every chunk parsed (a front door that translates them, such as the Messages API); a plain
   * chat stream leaves it unset, so that the OpenAI-wire pass-through parses nothing it need not.
   */
  parseChunks?: boolean;
  /** The API, for the usage event and the decision (`chat.completions` unless a front door says otherwise). */
  endpoint?: string;
}

/** A completed chat call. */
export interface ChatCallResult {
  info: CallInfo;
  completion: ChatCompletion;
  /** The answer's bytes: the cloud's own when they can be sent unchanged, else the completion serialised. */
  body: Uint8Array;
}

/** Where a streamed call goes. */
export interface ByteStreamSink {
  /** The call reached a route and its first bytes came: what the client is told before them. Called once. */
  started(info: CallInfo): void;
  /**
   * OpenAI chat-completion SSE bytes, and the chunks in them parsed when the call asked for `parseChunks` (null for
   * bytes that hold no chunk, such as the usage chunk and `[DONE]`); a returned promise holds the stream until the
   * client took them (backpressure).
   */
  write(bytes: Uint8Array, chunks: readonly ChatCompletionChunk[] | null): void | Promise<void>;
}

/** How a stream that started ended. */
export interface StreamedCall {
  /** The cloud's usage, when it reported one. */
  usage: Usage | null;
  /** What cut the stream short (ClientClosedError when the client went away); null when it completed. */
  error: CrosswayError | null;
}

/** Runs a non-streaming chat completion; the usage event is committed before this resolves. */
export function completeChat(services: CallServices, context: CallContext, call: ChatCall): Promise<ChatCallResult> {
  const { request } = call;
  const needs = deriveRequestNeeds(request);
  return runModelCall(
    services,
    context,
    chatInput(call, needs),
    (routes, options) => services.executor.chat(request, routes, options),
    async (open) => {
      const { completion, passthroughBody } = open.executed.value;
      await open.complete({ ...readCompletionUsage(completion, needs), status: 200 });
      // The catalog's model, whichever cloud answered: one value edited in the cloud's bytes, every other byte kept.
      const model = open.info.model;
      const edited = passthroughBody === undefined || completion.model === model ? passthroughBody : withAnswerModel(passthroughBody, model);
      completion.model = model;
      return { info: open.info, completion, body: edited ?? Buffer.from(JSON.stringify(completion)) };
    },
  );
}

/**
 * Runs a streaming chat completion into `sink`. Rejects when the call fails before its first bytes (no route, limits,
 * every route failed); once `sink.started` was called it always resolves, with the error that cut the stream short if
 * one did. Metered for what was produced: the cloud's usage, committed before the bytes that end the stream, else the
 * tokens counted from what was delivered.
 */
export function streamChat(services: CallServices, context: CallContext, call: ChatCall, sink: ByteStreamSink): Promise<StreamedCall> {
  const { request } = call;
  const needs = deriveRequestNeeds(request);
  // The catalog runModelCall reads, read at the same moment: every chunk names the model the headers and decision do.
  const catalog = services.catalog;
  return runModelCall(
    services,
    context,
    chatInput(call, needs),
    (routes, options) =>
      services.executor.chatStream(request, routes, {
        ...options,
        includeUsage: request.stream_options?.include_usage === true,
        parseChunks: call.parseChunks === true,
        answerModel: (route) => answerModelOf(catalog, route),
      }),
    (open) => relayStream(services, context, open, needs, sink),
  );
}

async function relayStream(
  services: CallServices,
  context: CallContext,
  open: OpenCall<ChatStream>,
  needs: RequestNeeds,
  sink: ByteStreamSink,
): Promise<StreamedCall> {
  const tally = new StreamedOutputTally();
  let usage: Usage | null = null;
  // The usage chunk, held until the next event's bytes go out with it: the end of a stream costs one write.
  let held: Uint8Array | null = null;
  // Traced only: the first and the last content bytes, whose chunks name the answer's id and finish reasons.
  const trace = open.trace;
  let firstBytes: Uint8Array | null = null;
  let lastBytes: Uint8Array | null = null;
  sink.started(open.info);
  try {
    for await (const event of open.executed.value.events) {
      if (context.signal.aborted) throw new ClientClosedError();
      if (event.type === 'usage') {
        // The usage event comes before the bytes that end the stream: the commit lands before they are delivered.
        usage = event.usage;
        await open.complete({ usage: readTokenUsage(usage), estimated: false, status: 200 });
        held = event.bytes;
        continue;
      }
      const chunks = event.type === 'chunks' ? event.chunks : null;
      if (event.type === 'chunks') {
        tally.pushChat(event.bytes, chunks);
        if (trace !== null) {
          firstBytes ??= event.bytes;
          lastBytes = event.bytes;
        }
      }
      let bytes = event.bytes;
      if (held !== null) {
        bytes = joinAdjacent([held, bytes]);
        held = null;
      }
      const written = sink.write(bytes, chunks);
      if (written !== undefined) await written;
    }
    if (held !== null) {
      const written = sink.write(held, null);
      if (written !== undefined) await written;
    }
    // A stream that ended without usage (a server that reports none) is committed with counted tokens.
    if (usage === null) await open.complete({ ...readStreamUsage(null, needs, tally), status: 200 });
    trace?.streamedChat(firstBytes, lastBytes);
    return { usage, error: null };
  } catch (thrown) {
    const error = context.signal.aborted ? new ClientClosedError() : toCrosswayError(thrown);
    // What the client was owed before the failure still goes out (the failure follows it).
    if (held !== null && !(error instanceof ClientClosedError)) await Promise.resolve(sink.write(held, null)).catch(() => {});
    // Cut or failed mid-stream: metered for what was produced (the cloud's usage when it came, else counted).
    const status = error instanceof ClientClosedError ? 499 : error.status;
    await open.complete({ ...readStreamUsage(usage, needs, tally), status }).catch((failure: unknown) => {
      services.logger.error({ err: failure, requestId: context.requestId }, 'metering an interrupted stream failed');
    });
    return { usage, error };
  }
}

function chatInput(call: ChatCall, needs: RequestNeeds) {
  return {
    kind: 'chat' as const,
    endpoint: call.endpoint ?? 'chat.completions',
    model: call.request.model,
    fallbackModels: call.fallbackModels,
    preferences: call.preferences,
    needs,
    prompt: () => call.request.messages,
  };
}
