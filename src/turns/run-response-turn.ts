// Runs one Responses API turn over the model's routes: the context (earlier turns and the new input) translated to a
// Chat Completions request, executed with routing, limits and metering like any chat call, and the answer translated
// back into a Response object, or, streaming, into the Responses API's semantic events.
import { type CallContext, type CallInfo, readCompletionUsage, readStreamUsage, runModelCall, StreamedOutputTally } from '../calls/index.ts';
import type { Route } from '../catalog/index.ts';
import { countTextTokens, type TokenUsage } from '../metering/index.ts';
import { deriveRequestNeeds } from '../policy/index.ts';
import type { ChatStreamEvent, NativeResponsesStreamEvent } from '../providers/index.ts';
import {
  boundContextBytes,
  checkContextFits,
  convertChatCompletionToResponseOutput,
  convertResponsesToChatRequest,
  convertResponsesToNativeRequest,
  createItemId,
  createResponseStreamTranslator,
  markReasoningOrigin,
  readChatToolMapping,
  type ChatToolMapping,
  type ResponseStreamTranslator,
  truncateContextItems,
} from '../runtime/index.ts';
import {
  type ChatCompletionRequest,
  ClientClosedError,
  type ResponseItem,
  type ResponseObject,
  type ResponseOutputItem,
  type ResponseStreamEvent,
  type ResponseUsage,
  toCrosswayError,
  type Usage,
} from '../wire/index.ts';
import { type CompactionCall, compactTurn, isCompactionTurn } from './compact-response.ts';
import { createNativeStreamRelay } from './native-stream-relay.ts';
import { openTurnItems } from './open-turn-items.ts';
import { type ResponseTurn, type TurnResult, turnResponse } from './response-turn.ts';
import { lossesOn, nativeRouteOf, readHostedTools } from './turn-losses.ts';
import type { TurnServices } from './turn-services.ts';

/** The Response object of a turn that has not produced anything yet (queued, or in progress). */
export function pendingResponse(turn: ResponseTurn, status: 'queued' | 'in_progress'): ResponseObject {
  return turnResponse(turn, { status });
}

/**
 * The context a turn sends, sized to the model's routes: with `truncation: "auto"` the oldest items are dropped until
 * it fits the smallest context window among the model's routes (so that a failover to a smaller route still works);
 * with `disabled` (the default), a context larger than every route's window is OpenAI's context-length error (a
 * smaller route alone is left out by the planner). Routes that declare no window are not limited.
 */
export function sizeContext(services: TurnServices, turn: ResponseTurn, items: ResponseItem[], keepFrom: number = turn.contextItems.length): ResponseItem[] {
  const found = services.catalog.findModel(turn.request.model);
  const windows = (found?.routes ?? []).map((route) => route.limits.context).filter((window): window is number => window !== undefined);
  if (windows.length === 0) return items;
  const budget = { instructions: turn.request.instructions, items, reservedOutputTokens: turn.request.max_output_tokens ?? 0 };
  if (turn.request.truncation === 'auto') {
    return truncateContextItems({ ...budget, contextWindow: Math.min(...windows), keepFrom }).items;
  }
  checkContextFits({ ...budget, contextWindow: Math.max(...windows) });
  return items;
}

/**
 * What routing needs of a turn, and the bodies per route: the context is sized once for planning (the smallest
 * window under `auto`, so that the planner keeps every route), and again per attempt to the route's own window, so
 * that a larger route gets more of the context. Routes that serve the Responses API natively get the native body.
 */
function routingFor(services: TurnServices, turn: ResponseTurn, tenant: string) {
  const opened = openTurnItems(services, tenant, turn);
  const all = boundContextBytes({
    instructions: turn.request.instructions,
    items: opened,
    keepFrom: turn.contextItems.length,
    truncation: turn.request.truncation,
    maxBytes: services.catalog.config.runtime.max_context_bytes,
  });
  // The new input's first item, after whatever the byte bound dropped from the front.
  const keepFrom = turn.contextItems.length - (opened.length - all.length);
  // Chat translations per context: most turns send the same items to every route, so each is translated once per
  // request; a native body also depends on the route (its provider's reasoning items, the hosted tools it runs).
  const translated = new Map<ResponseItem[], ChatCompletionRequest>();
  const translate = (items: ResponseItem[]): ChatCompletionRequest => {
    let chat = translated.get(items);
    if (chat === undefined) {
      chat = convertResponsesToChatRequest(turn.request, items);
      translated.set(items, chat);
    }
    return chat;
  };
  const needs = { ...deriveRequestNeeds(translate(sizeContext(services, turn, all, keepFrom))), hostedTools: readHostedTools(turn.request) };
  const itemsFor = (route: Route): ResponseItem[] => {
    if (turn.request.truncation !== 'auto' || route.limits.context === undefined) return all;
    const budget = { instructions: turn.request.instructions, items: all, reservedOutputTokens: turn.request.max_output_tokens ?? 0 };
    return truncateContextItems({ ...budget, contextWindow: route.limits.context, keepFrom }).items;
  };
  const bodies = (route: Route) => {
    const items = itemsFor(route);
    return { chat: translate(items), native: convertResponsesToNativeRequest(turn.request, items, nativeRouteOf(route)) };
  };
  return {
    bodies,
    needs,
    // What the model's chat tool calls stand for (custom tools, tool_search), over every item a route may get.
    mapping: readChatToolMapping(turn.request.tools ?? [], all),
    routing: {
      kind: 'chat' as const,
      endpoint: 'responses',
      model: turn.request.model,
      fallbackModels: turn.request.models,
      preferences: turn.request.crossway,
      needs,
      // Traces that capture content record the turn's context as the chat messages it is sent as.
      prompt: () => translate(all).messages,
      lossesOn: (route: Route) => {
        const losses = lossesOn(route, needs, itemsFor(route));
        return turn.notes === undefined ? losses : { ...losses, notes: [...turn.notes, ...losses.notes] };
      },
    },
  };
}

/** A finished turn, with what the client is told about its call and the tokens it was metered for. */
export interface RanTurn extends TurnResult {
  info: CallInfo;
  usage: TokenUsage;
}

/** Runs a turn without streaming; the usage event is committed before this resolves. */
export async function runTurn(services: TurnServices, context: CallContext, turn: ResponseTurn): Promise<RanTurn> {
  if (isCompactionTurn(turn)) {
    const call = await compactTurn(services, context, turn);
    const result = compactionTurnResult(turn, call);
    return { ...result, info: call.info, usage: call.metered };
  }
  const { bodies, needs, routing, mapping } = routingFor(services, turn, context.principal.tenant.id);
  return runModelCall(
    services,
    context,
    routing,
    (routes, options) => services.executor.responses(bodies, routes, { ...options, model: turn.request.model }),
    async (open) => {
      const answer = open.executed.value;
      let translated: {
        output: ResponseOutputItem[];
        usage: ResponseUsage | null;
        status: ResponseObject['status'];
        incomplete_details: ResponseObject['incomplete_details'];
      };
      let metered: { usage: TokenUsage; estimated: boolean };
      if (answer.kind === 'chat') {
        translated = convertChatCompletionToResponseOutput(answer.completion, createItemId, mapping);
        metered = readCompletionUsage(answer.completion, needs);
      } else {
        translated = readNativeResponse(answer.response, open.info.route.provider);
        metered = readStreamUsage(answer.usage, needs, { outputTokens: () => countTextTokens(readOutputText(translated.output)) });
      }
      const usageEventId = await open.complete({ ...metered, status: 200 });
      const response = turnResponse(turn, translated);
      return { response, output: translated.output, route: open.info.route, usageEventId, info: open.info, usage: metered.usage };
    },
  );
}

/** The parts of a cloud's own Response object that Crossway's Response carries over: output, usage, status. */
function readNativeResponse(upstream: Record<string, unknown>, provider: string) {
  const status = upstream.status === 'incomplete' ? 'incomplete' : 'completed';
  return {
    // Reasoning items are marked with the cloud that encrypted them, so that only that cloud gets them back.
    output: (Array.isArray(upstream.output) ? upstream.output : []).map((item) => markReasoningOrigin(item, provider)) as ResponseOutputItem[],
    usage: (upstream.usage ?? null) as ResponseUsage | null,
    status: status as ResponseObject['status'],
    incomplete_details: (upstream.incomplete_details ?? null) as ResponseObject['incomplete_details'],
  };
}

/** Where a streamed turn goes. */
export interface TurnSink {
  /** The turn's call reached a route and its answer began: what the client is told before the first event. Called once. */
  started(info: CallInfo): void;
  /** One Responses API event; awaited, so that a slow client slows the turn down (backpressure). */
  event(event: ResponseStreamEvent): Promise<void>;
}

/**
 * Runs a turn streaming: `response.created` and `response.in_progress` once the first bytes of the answer arrived
 * (failures before that reject, for an HTTP error), then the translated events. The final event
 * (`response.completed`, `.incomplete` or `.failed`) is emitted only after `beforeFinal` resolved (storage), and the
 * usage is committed before that, so that the stream's last byte follows the commit. Resolves with the result; never
 * throws after `sink.started` (a failure becomes `response.failed`), except when the call was abandoned
 * (ClientClosedError: the client went away, or a background job was cancelled).
 */
export function streamTurn(
  services: TurnServices,
  context: CallContext,
  turn: ResponseTurn,
  sink: TurnSink,
  beforeFinal: (result: TurnResult) => Promise<void>,
): Promise<TurnResult> {
  if (isCompactionTurn(turn)) return streamCompactionTurn(services, context, turn, sink, beforeFinal);
  const { bodies, needs, routing, mapping } = routingFor(services, turn, context.principal.tenant.id);
  return runModelCall(
    services,
    context,
    routing,
    (routes, options) => services.executor.responsesStream(bodies, routes, { ...options, model: turn.request.model }),
    async (open) => {
      const stream = open.executed.value;
      sink.started(open.info);
      const tally = new StreamedOutputTally();
      const reader =
        stream.kind === 'native'
          ? readNativeTurnStream(turn, stream.events, tally, open.info.route.provider)
          : readChatTurnStream(turn, stream.events, tally, mapping);
      const { translator } = reader;
      const emitAll = async (events: ResponseStreamEvent[]): Promise<void> => {
        for (const event of events) await sink.event(event);
      };
      let final: ResponseStreamEvent[];
      let failure: unknown = null;
      try {
        await emitAll(translator.start());
        await reader.read(emitAll);
        final = translator.finish(reader.usage ?? undefined);
      } catch (error) {
        if (context.signal.aborted || error instanceof ClientClosedError) {
          await open.complete({ ...readStreamUsage(reader.usage, needs, tally), status: 499 }).catch(() => null);
          throw new ClientClosedError();
        }
        failure = error;
        const crossway = toCrosswayError(error);
        final = translator.fail({ code: crossway.code, message: crossway.message });
      }
      const status = failure === null ? 200 : toCrosswayError(failure).status;
      const metering = open.complete({ ...readStreamUsage(reader.usage, needs, tally), status });
      // A failed stream is stored as failed whether or not its metering commits; a completed one only once it did.
      const usageEventId = failure === null ? await metering : await metering.catch(() => null);
      const result: TurnResult = { response: translator.response(), output: translator.output(), route: open.info.route, usageEventId };
      await beforeFinal(result);
      await emitAll(final);
      return result;
    },
  );
}

/** A compaction turn's result: one compaction item, the call's usage; metered already (compactTurn). */
function compactionTurnResult(turn: ResponseTurn, call: CompactionCall): TurnResult {
  // A compaction item is the output of this turn alone; the Response object's output type names a model's items.
  const output = [call.item] as unknown as ResponseOutputItem[];
  return { response: turnResponse(turn, { status: 'completed', output, usage: call.usage }), output: [call.item], route: call.info.route, usageEventId: null };
}

/**
 * A compaction turn streamed as OpenAI streams one: created, in progress, the compaction item added and done, then
 * completed (after `beforeFinal`). The summary is written by one non-streaming call before the first event.
 */
async function streamCompactionTurn(
  services: TurnServices,
  context: CallContext,
  turn: ResponseTurn,
  sink: TurnSink,
  beforeFinal: (result: TurnResult) => Promise<void>,
): Promise<TurnResult> {
  const call = await compactTurn(services, context, turn);
  sink.started(call.info);
  const result = compactionTurnResult(turn, call);
  const item = call.item as unknown as ResponseOutputItem;
  let sequence = 0;
  const events: ResponseStreamEvent[] = [
    { type: 'response.created', sequence_number: sequence++, response: pendingResponse(turn, 'in_progress') },
    { type: 'response.in_progress', sequence_number: sequence++, response: pendingResponse(turn, 'in_progress') },
    { type: 'response.output_item.added', sequence_number: sequence++, output_index: 0, item },
    { type: 'response.output_item.done', sequence_number: sequence++, output_index: 0, item },
  ];
  for (const event of events) await sink.event(event);
  await beforeFinal(result);
  await sink.event({ type: 'response.completed', sequence_number: sequence, response: result.response });
  return result;
}

/** A streamed turn's translator and the loop that feeds it the stream's events, noting the cloud's usage as it comes. */
interface TurnStreamReader {
  translator: Omit<ResponseStreamTranslator<unknown>, 'push'>;
  /** The stream's usage event, once it came. */
  usage: Usage | null;
  /** Feeds every event of the stream to the translator and emits what it makes of them. */
  read(emitAll: (events: ResponseStreamEvent[]) => Promise<void>): Promise<void>;
}

/** A native route's stream: its events relayed as Crossway's. */
function readNativeTurnStream(
  turn: ResponseTurn,
  events: AsyncIterable<NativeResponsesStreamEvent>,
  tally: StreamedOutputTally,
  provider: string,
): TurnStreamReader {
  const relay = createNativeStreamRelay(turn, provider);
  const reader: TurnStreamReader = {
    translator: relay,
    usage: null,
    async read(emitAll) {
      for await (const event of events) {
        if (event.type === 'usage') {
          reader.usage = event.usage;
          continue;
        }
        tally.pushResponses(event.bytes, event.events);
        for (const value of event.events) await emitAll(relay.push(value));
      }
    },
  };
  return reader;
}

/** A chat route's stream (every chunk parsed, see Executor.responsesStream): translated to Responses events. */
function readChatTurnStream(
  turn: ResponseTurn,
  events: AsyncIterable<ChatStreamEvent>,
  tally: StreamedOutputTally,
  mapping: ChatToolMapping,
): TurnStreamReader {
  const translator = createResponseStreamTranslator({ response: pendingResponse(turn, 'in_progress'), createItemId, mapping });
  const reader: TurnStreamReader = {
    translator,
    usage: null,
    async read(emitAll) {
      for await (const event of events) {
        if (event.type === 'usage') reader.usage = event.usage;
        else if (event.type === 'chunks') {
          const chunks = event.chunks ?? [];
          tally.pushChat(event.bytes, chunks);
          for (const chunk of chunks) await emitAll(translator.push(chunk));
        }
      }
    },
  };
  return reader;
}

/** The text a cloud's native output items carry (message text, refusals, function-call arguments), for counting. */
function readOutputText(output: readonly ResponseOutputItem[]): string {
  let text = '';
  for (const item of output as unknown as readonly Record<string, unknown>[]) {
    if (typeof item.arguments === 'string') text += item.arguments;
    for (const part of Array.isArray(item.content) ? (item.content as Record<string, unknown>[]) : []) {
      if (typeof part.text === 'string') text += part.text;
      if (typeof part.refusal === 'string') text += part.refusal;
    }
  }
  return text;
}
