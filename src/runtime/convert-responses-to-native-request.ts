// The body of a Responses turn for a cloud that serves POST /v1/responses itself (OpenAI, Azure OpenAI's v1 API,
// Bedrock's OpenAI-compatible endpoint): the full context as `input` items with `store: false`, because Crossway
// keeps the state. The upstream never sees previous_response_id, conversation, background or client_metadata: those
// are Crossway's or the client's.
import { excerpt, type HostedTool, hostedToolOf, NotFoundError, type ResponseCreateRequest, type ResponseItem, type ResponseTool } from '../wire/index.ts';
import { unopenedCompactionError } from './compaction-content.ts';
import { convertResponsesToChatRequest } from './convert-responses-to-chat-request.ts';
import { readableReasoning } from './reasoning-origin.ts';

/** Request fields the cloud's Responses API takes as they are; every other field is state or routing. */
const CARRIED_FIELDS = [
  'instructions',
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

/** What the route a native body is for can do with what the context carries. */
export interface NativeRoute {
  /** The route's provider: reasoning items encrypted by this provider's cloud are sent back. */
  provider: string;
  /** The hosted tools the route's cloud runs: only these are sent, and only their calls replayed. */
  hostedTools: ReadonlySet<HostedTool>;
}

/** A route that reads no reasoning items and runs no hosted tool. */
const NO_NATIVE_EXTRAS: NativeRoute = { provider: '', hostedTools: new Set() };

/**
 * The native body: the carried fields, the tools the route can take (hosted tools it does not run are left out),
 * `input` = the context items without Crossway's ids (they name nothing upstream, and a cloud may refuse ids it did
 * not issue), `store: false`, `truncation: "disabled"` (the runtime sized the context already). Compaction items must
 * have been opened (openCompactionItems); reasoning items go back only to the provider whose cloud encrypted them
 * (see reasoning-origin.ts), hosted tool calls only to a route that runs the tool. Validates the same way the chat
 * translation does (tool types, item references), so that a turn fails alike on every route.
 */
export function convertResponsesToNativeRequest(
  request: ResponseCreateRequest,
  items: readonly ResponseItem[],
  route: NativeRoute = NO_NATIVE_EXTRAS,
): Record<string, unknown> {
  convertResponsesToChatRequest(request, items);
  const body: Record<string, unknown> = { model: request.model };
  for (const field of CARRIED_FIELDS) if (request[field] !== undefined && request[field] !== null) body[field] = request[field];
  if (Array.isArray(request.tools)) {
    body.tools = request.tools.filter((tool: ResponseTool) => {
      const hosted = hostedToolOf(tool.type);
      return hosted === null || route.hostedTools.has(hosted);
    });
    const choice = request.tool_choice;
    // A forced hosted tool the route does not run never reaches here (routing rejects the route); an allowed list
    // naming one is narrowed to what the route has.
    if (typeof choice === 'object' && choice !== null && choice.type === 'allowed_tools' && Array.isArray(choice.tools)) {
      const tools = choice.tools.filter((tool) => {
        const hosted = hostedToolOf(String(tool.type));
        return hosted === null || route.hostedTools.has(hosted);
      });
      body.tool_choice = { ...choice, tools };
    }
  }
  body.input = items.flatMap((item) => toUpstreamItem(item, route));
  body.store = false;
  body.truncation = 'disabled';
  return body;
}

function toUpstreamItem(item: ResponseItem, route: NativeRoute): Record<string, unknown>[] {
  // The mcp tool's items were made by Crossway, not by this cloud: a later turn without the mcp tool leaves them out,
  // as the chat translation does (an mcp turn hands them to the model as function calls, turns/run-mcp-turn.ts).
  if ((item.type as string).startsWith('mcp_')) return [];
  switch (item.type) {
    case 'message': {
      const phase = (item as { phase?: unknown }).phase;
      return [{ type: 'message', role: item.role, content: item.content, ...(typeof phase === 'string' ? { phase } : {}) }];
    }
    case 'function_call':
      return [{ type: 'function_call', call_id: item.call_id, name: item.name, arguments: item.arguments, ...namespaceOf(item) }];
    case 'function_call_output':
      return [{ type: 'function_call_output', call_id: item.call_id, output: item.output }];
    case 'custom_tool_call':
      return [{ type: 'custom_tool_call', call_id: item.call_id, name: item.name, input: item.input, ...namespaceOf(item) }];
    case 'custom_tool_call_output':
      return [{ type: 'custom_tool_call_output', call_id: item.call_id, output: item.output }];
    case 'tool_search_call':
      return [{ type: 'tool_search_call', call_id: item.call_id, arguments: item.arguments, execution: item.execution }];
    case 'tool_search_output':
      return [{ type: 'tool_search_output', call_id: item.call_id, tools: item.tools, execution: item.execution }];
    case 'reasoning': {
      const readable = readableReasoning(item, route.provider);
      return readable === null ? [] : [readable];
    }
    case 'web_search_call':
    case 'file_search_call':
    case 'code_interpreter_call':
    case 'image_generation_call': {
      const hosted = hostedToolOf(item.type.replace(/_call$/, ''));
      return hosted !== null && route.hostedTools.has(hosted) ? [{ ...item }] : [];
    }
    case 'compaction_trigger':
      return [];
    case 'compaction':
      throw unopenedCompactionError();
    case 'item_reference':
      throw new NotFoundError(`Item with id '${excerpt(item.id)}' not found.`, 'item_not_found', 'input');
  }
}

function namespaceOf(item: object): Record<string, unknown> {
  const namespace = (item as { namespace?: unknown }).namespace;
  return typeof namespace === 'string' ? { namespace } : {};
}
