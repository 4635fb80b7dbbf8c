// A Responses turn with `mcp` tools, streamed: each model step is streamed through streamTurn as it is produced (its
// text token by token), the items Crossway adds (listings, calls, approval requests) are sent with their own events
// (mcp_list_tools.*, mcp_call_arguments.*, mcp_call.*), and the final event follows `beforeFinal` (storage).
import type { CallContext, CallInfo } from '../calls/index.ts';
import type { McpCallLogEntry } from '../store/index.ts';
import { ClientClosedError, type ResponseItem, type ResponseMcpCallItem, type ResponseStreamEvent, toCrosswayError } from '../wire/index.ts';
import type { ResponseTurn, TurnResult } from './response-turn.ts';
import { buildResponse, driveMcpTurn, type McpStepResult, redactMcpTurn } from './run-mcp-turn.ts';
import { pendingResponse, streamTurn, type TurnSink } from './run-response-turn.ts';
import type { TurnServices } from './turn-services.ts';

const LIFECYCLE = new Set(['response.created', 'response.queued', 'response.in_progress', 'response.completed', 'response.incomplete', 'response.failed']);

/**
 * Runs the turn and streams it. A failure before the first model step answered rejects (an HTTP error), as
 * streamTurn's do; after that, a failure ends the stream with `response.failed`.
 */
export async function streamMcpTurn(
  services: TurnServices,
  context: CallContext,
  turn: ResponseTurn,
  sink: TurnSink,
  beforeFinal: (result: TurnResult) => Promise<void>,
): Promise<TurnResult & { mcpCalls: McpCallLogEntry[] }> {
  const publicTurn = redactMcpTurn(turn);
  let sequence = 0;
  let nextIndex = 0;
  let started = false;
  const buffered: ResponseItem[] = [];
  const emit = async (event: Record<string, unknown>) => sink.event({ ...event, sequence_number: sequence++ } as unknown as ResponseStreamEvent);
  const start = async (info: CallInfo) => {
    if (started) return;
    started = true;
    sink.started(info);
    await emit({ type: 'response.created', response: pendingResponse(publicTurn, 'in_progress') });
    await emit({ type: 'response.in_progress', response: pendingResponse(publicTurn, 'in_progress') });
    for (const item of buffered.splice(0)) await emitItem(emit, nextIndex++, item);
  };
  const runStep = async (stepTurn: ResponseTurn, exposed: ReadonlySet<string>): Promise<McpStepResult> => {
    // The step's events, relayed with the turn's numbering; its calls of MCP tools are the driver's to show (as mcp_call).
    const hidden = new Set<string>();
    const indexes = new Map<number, number>();
    let info: CallInfo | undefined;
    const stepSink: TurnSink = {
      started(stepInfo) {
        info = stepInfo;
      },
      async event(event) {
        if (info !== undefined) await start(info);
        const value = event as unknown as Record<string, unknown>;
        if (LIFECYCLE.has(event.type)) return;
        const item = value.item as { id?: string; type?: string; name?: string } | undefined;
        if (event.type === 'response.output_item.added' && item?.type === 'function_call' && exposed.has(String(item.name))) {
          hidden.add(String(item.id));
          return;
        }
        if (hidden.has(String(value.item_id ?? item?.id))) return;
        if (typeof value.output_index === 'number') {
          let index = indexes.get(value.output_index);
          if (index === undefined) {
            index = nextIndex++;
            indexes.set(value.output_index, index);
          }
          await emit({ ...value, output_index: index });
        } else {
          await emit(value);
        }
      },
    };
    const result = await streamTurn(services, context, stepTurn, stepSink, async () => {});
    return { ...result, ...(info === undefined ? {} : { info }) };
  };
  const added = async (item: ResponseItem) => {
    if (started) await emitItem(emit, nextIndex++, item);
    else buffered.push(item);
  };
  let outcome: Awaited<ReturnType<typeof driveMcpTurn>>;
  try {
    outcome = await driveMcpTurn(services, context, turn, { runStep, added });
  } catch (error) {
    if (!started) throw error;
    if (context.signal.aborted || error instanceof ClientClosedError) throw new ClientClosedError();
    // After the first event the client is told in the stream, as streamTurn does; the failed response is stored.
    const crossway = toCrosswayError(error);
    const failed = buildResponse({ publicTurn, output: [], usage: null, status: 'failed', error: { code: crossway.code, message: crossway.message } });
    const result: TurnResult = { response: failed, output: [], route: null, usageEventId: null };
    await beforeFinal(result).catch(() => null);
    await emit({ type: 'response.failed', response: failed });
    return { ...result, mcpCalls: [] };
  }
  const response = buildResponse(outcome);
  const result: TurnResult = { response, output: outcome.output, route: outcome.last.route, usageEventId: outcome.last.usageEventId };
  await beforeFinal(result);
  const final = response.status === 'failed' ? 'response.failed' : response.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
  await emit({ type: final, response });
  return { ...result, mcpCalls: outcome.mcpCalls };
}

/** One output item's events, as OpenAI streams an item of its type. */
async function emitItem(emit: (event: Record<string, unknown>) => Promise<void>, index: number, item: ResponseItem): Promise<void> {
  const at = { output_index: index };
  const type = item.type as string;
  const id = String(item.id);
  if (type === 'mcp_list_tools') {
    await emit({ type: 'response.output_item.added', ...at, item: { ...item, tools: [] } });
    await emit({ type: 'response.mcp_list_tools.in_progress', ...at, item_id: id });
    await emit({ type: 'response.mcp_list_tools.completed', ...at, item_id: id });
  } else if (type === 'mcp_call') {
    const call = item as unknown as ResponseMcpCallItem;
    await emit({ type: 'response.output_item.added', ...at, item: { ...call, output: null, error: null, status: 'in_progress' } });
    await emit({ type: 'response.mcp_call_arguments.delta', ...at, item_id: id, delta: call.arguments });
    await emit({ type: 'response.mcp_call_arguments.done', ...at, item_id: id, arguments: call.arguments });
    await emit({ type: 'response.mcp_call.in_progress', ...at, item_id: id });
    await emit({ type: call.status === 'failed' ? 'response.mcp_call.failed' : 'response.mcp_call.completed', ...at, item_id: id });
  } else if (item.type === 'message') {
    await emit({ type: 'response.output_item.added', ...at, item: { ...item, content: [], status: 'in_progress' } });
    for (const [contentIndex, part] of item.content.entries()) {
      const where = { ...at, item_id: id, content_index: contentIndex };
      if (part.type === 'output_text') {
        await emit({ type: 'response.content_part.added', ...where, part: { ...part, text: '' } });
        await emit({ type: 'response.output_text.delta', ...where, delta: part.text, logprobs: [] });
        await emit({ type: 'response.output_text.done', ...where, text: part.text, logprobs: [] });
      } else {
        await emit({ type: 'response.content_part.added', ...where, part });
      }
      await emit({ type: 'response.content_part.done', ...where, part });
    }
  } else if (item.type === 'function_call') {
    await emit({ type: 'response.output_item.added', ...at, item: { ...item, arguments: '', status: 'in_progress' } });
    await emit({ type: 'response.function_call_arguments.delta', ...at, item_id: id, delta: item.arguments });
    await emit({ type: 'response.function_call_arguments.done', ...at, item_id: id, arguments: item.arguments });
  } else {
    await emit({ type: 'response.output_item.added', ...at, item });
  }
  await emit({ type: 'response.output_item.done', ...at, item });
}
