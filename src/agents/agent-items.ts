// A session's items both ways: the agent-shaped items the Agents API lists, and the Responses items a model step
// sends as context. Output items keep the Responses item they came from (a private key), so a step replays it exactly.
import { createItemId } from '../runtime/index.ts';
import type { ResponseItem } from '../wire/index.ts';
import { findPendingApprovals } from './agent-mcp-tools.ts';
import type { AgentInputMessage } from './agent-schemas.ts';

/** The private key holding the Responses item an output item came from. */
const SOURCE_KEY = 'crossway_item';

/** A user message of a turn, as the session stores it. */
export function toUserMessageItem(message: AgentInputMessage, turnId: string): Record<string, unknown> {
  return { id: createItemId('msg'), type: 'message', role: 'user', content: message.content, phase: null, status: 'completed', turn_id: turnId };
}

/** A tool result as the session stores it (FunctionCallOutputItemResource). */
export function toFunctionCallOutputItem(
  turnId: string,
  callId: string,
  result: { success: boolean; output?: unknown; error?: string | null },
): Record<string, unknown> {
  return {
    id: createItemId('fco'),
    type: 'function_call_output',
    call_id: callId,
    output: result.success ? (result.output ?? null) : null,
    error: result.success ? null : (result.error ?? 'The tool failed.'),
    status: result.success ? 'completed' : 'failed',
    turn_id: turnId,
  };
}

/** The text of a message's output_text parts. */
function outputTextOf(item: Record<string, unknown>): { type: 'output_text'; text: string }[] {
  const content = Array.isArray(item.content) ? (item.content as Record<string, unknown>[]) : [];
  return content.filter((part) => part.type === 'output_text').map((part) => ({ type: 'output_text', text: String(part.text ?? '') }));
}

/**
 * A model step's output item as the session stores it (under `id`, Crossway's own: a cloud's item ids are not
 * unique across sessions), with the Responses item kept for replay; null for kinds a session does not keep.
 */
export function toAgentOutputItem(output: Record<string, unknown>, id: string, turnId: string): Record<string, unknown> | null {
  const status = output.status === 'incomplete' ? 'incomplete' : 'completed';
  switch (output.type) {
    case 'message':
      return { id, type: 'message', role: 'assistant', content: outputTextOf(output), phase: null, status, turn_id: turnId, [SOURCE_KEY]: output };
    case 'function_call':
      return {
        id,
        type: 'function_call',
        call_id: output.call_id,
        name: output.name,
        arguments: output.arguments,
        status: 'completed',
        turn_id: turnId,
        [SOURCE_KEY]: output,
      };
    case 'reasoning':
      return { id, type: 'reasoning', summary: Array.isArray(output.summary) ? output.summary : [], status, turn_id: turnId, [SOURCE_KEY]: output };
    default:
      return null;
  }
}

/** An assistant message being written: no text yet. */
export function toOpenMessageItem(id: string, turnId: string): Record<string, unknown> {
  return { id, type: 'message', role: 'assistant', content: [], phase: null, status: 'in_progress', turn_id: turnId };
}

/** The session's stored items as a model step's context, oldest first. */
export function toContextItems(items: readonly Record<string, unknown>[]): ResponseItem[] {
  const context: Record<string, unknown>[] = [];
  for (const item of items) {
    const source = item[SOURCE_KEY];
    if (item.type === 'mcp_call') {
      // The model's call and its result; a call still waiting for approval is not sent yet.
      if (item.status === 'in_progress' || source === undefined || source === null) continue;
      const call = source as Record<string, unknown>;
      const output = item.output ?? `The MCP call failed: ${JSON.stringify(item.error ?? null)}`;
      context.push(call, { type: 'function_call_output', call_id: call.call_id, output: String(output) });
    } else if (source !== undefined && source !== null) context.push(source as Record<string, unknown>);
    else if (item.type === 'message' && item.role === 'user') context.push({ type: 'message', role: 'user', content: item.content });
    else if (item.type === 'function_call_output') {
      const output = item.error === null || item.error === undefined ? item.output : `Error: ${String(item.error)}`;
      context.push({ type: 'function_call_output', call_id: item.call_id, output: output ?? '' });
    }
  }
  return context as unknown as ResponseItem[];
}

/** The function calls of a turn that no tool result answered yet, and its MCP calls waiting for approval, as required actions. */
export function findPendingCalls(items: readonly Record<string, unknown>[], turnId: string): Record<string, unknown>[] {
  const answered = new Set(items.filter((item) => item.type === 'function_call_output' && item.turn_id === turnId).map((item) => item.call_id));
  return items
    .filter((item) => item.type === 'function_call' && item.turn_id === turnId && !answered.has(item.call_id))
    .map((item): Record<string, unknown> => ({ type: 'function_call', call_id: item.call_id, name: item.name, arguments: item.arguments, turn_id: turnId }))
    .concat(findPendingApprovals(items, turnId));
}
