// The body of a Responses turn for a cloud that serves POST /v1/responses itself (OpenAI, Azure OpenAI's v1 API,
// Bedrock's OpenAI-compatible endpoint): the full context as `input` items with `store: false`, because Crossway
// keeps the state. The upstream never sees previous_response_id, conversation or background: those are Crossway's.
import { excerpt, NotFoundError, type ResponseCreateRequest, type ResponseItem } from '../wire/index.ts';
import { unopenedCompactionError } from './compaction-content.ts';
import { convertResponsesToChatRequest } from './convert-responses-to-chat-request.ts';

/** Request fields the cloud's Responses API takes as they are; every other field is state or routing. */
const CARRIED_FIELDS = [
  'instructions',
  'tools',
  'tool_choice',
  'text',
  'max_output_tokens',
  'max_tool_calls',
  'temperature',
  'top_p',
  'parallel_tool_calls',
  'reasoning',
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'service_tier',
  'include',
  'top_logprobs',
] as const;

/**
 * The native body: the carried fields, `input` = the context items without Crossway's ids (they name nothing upstream,
 * and a cloud may refuse ids it did not issue), `store: false`, `truncation: "disabled"` (the runtime sized the
 * context already). Compaction items must have been opened (openCompactionItems); reasoning items are dropped (only
 * the cloud that produced one could read it back). Validates the same way the chat translation does (hosted tools,
 * item references), so that a turn fails alike on every route.
 */
export function convertResponsesToNativeRequest(request: ResponseCreateRequest, items: readonly ResponseItem[]): Record<string, unknown> {
  convertResponsesToChatRequest(request, items);
  const body: Record<string, unknown> = { model: request.model };
  for (const field of CARRIED_FIELDS) if (request[field] !== undefined && request[field] !== null) body[field] = request[field];
  body.input = items.flatMap(toUpstreamItem);
  body.store = false;
  body.truncation = 'disabled';
  return body;
}

function toUpstreamItem(item: ResponseItem): Record<string, unknown>[] {
  switch (item.type) {
    case 'message':
      return [{ type: 'message', role: item.role, content: item.content }];
    case 'function_call':
      return [{ type: 'function_call', call_id: item.call_id, name: item.name, arguments: item.arguments }];
    case 'function_call_output':
      return [{ type: 'function_call_output', call_id: item.call_id, output: item.output }];
    case 'compaction':
      throw unopenedCompactionError();
    case 'reasoning':
      return [];
    case 'item_reference':
      throw new NotFoundError(`Item with id '${excerpt(item.id)}' not found.`, 'item_not_found', 'input');
  }
}
