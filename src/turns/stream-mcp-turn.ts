// A Responses turn with `mcp` tools, streamed: the turn runs as runMcpTurn does (each model step a real call), then its
// items are sent as the Responses API's events in order, the mcp ones with their own events (mcp_list_tools.*,
// mcp_call_arguments.*, mcp_call.*); the final event follows `beforeFinal` (storage), as in streamTurn.
import type { CallContext } from '../calls/index.ts';
import type { McpCallLogEntry } from '../store/index.ts';
import type { ResponseItem, ResponseMcpCallItem, ResponseStreamEvent } from '../wire/index.ts';
import type { ResponseTurn, TurnResult } from './response-turn.ts';
import { redactMcpTurn, runMcpTurn } from './run-mcp-turn.ts';
import { pendingResponse, type TurnSink } from './run-response-turn.ts';
import type { TurnServices } from './turn-services.ts';

/**
 * Runs the turn and streams it. Failures before the first event reject (an HTTP error), as streamTurn's do; the
 * events follow once every step ran (a step's text is sent whole, not token by token).
 */
export async function streamMcpTurn(
  services: TurnServices,
  context: CallContext,
  turn: ResponseTurn,
  sink: TurnSink,
  beforeFinal: (result: TurnResult) => Promise<void>,
): Promise<TurnResult & { mcpCalls: McpCallLogEntry[] }> {
  const ran = await runMcpTurn(services, context, turn);
  sink.started(ran.info);
  const publicTurn = redactMcpTurn(turn);
  let sequence = 0;
  const emit = async (event: Record<string, unknown>) => sink.event({ ...event, sequence_number: sequence++ } as unknown as ResponseStreamEvent);
  await emit({ type: 'response.created', response: pendingResponse(publicTurn, 'in_progress') });
  await emit({ type: 'response.in_progress', response: pendingResponse(publicTurn, 'in_progress') });
  for (const [index, item] of ran.output.entries()) await emitItem(emit, index, item);
  const result: TurnResult = { response: ran.response, output: ran.output, route: ran.route, usageEventId: ran.usageEventId };
  await beforeFinal(result);
  await emit({ type: ran.response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', response: ran.response });
  return { ...result, mcpCalls: ran.mcpCalls };
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
