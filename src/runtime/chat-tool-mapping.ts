// How a Responses turn's client-run tools appear on a Chat Completions route, and how the model's tool calls map back
// to Responses items: function tools stay functions; a `custom` (freeform) tool becomes a function with one string
// parameter `input`, its format (grammar or free text) told to the model in the description; client-executed
// `tool_search` becomes a function of its own parameters; tools a tool search loaded (tool_search_output items) join
// the list, a namespace's tools as `<namespace>__<name>`. Hosted tools are not here: a chat route cannot run them.
// Sources: OpenAI API reference, "Create a model response" (tools: FunctionTool, CustomTool with CustomToolInputFormat,
// ToolSearchTool; items: custom_tool_call, tool_search_call, tool_search_output; ToolSearchOutputNamespaceTool) and
// the function-calling guide's "Custom tools" section.
import type { ChatTool, ResponseItem, ResponseItemStatus, ResponseOutputItem, ResponseTool } from '../wire/index.ts';
import type { CreateItemId } from './create-item-id.ts';

/** What a chat function name stands for. */
export type ChatToolKind =
  | { kind: 'function'; name: string; namespace?: string }
  | { kind: 'custom'; name: string; namespace?: string }
  | { kind: 'tool_search' };

/** A turn's client-run tools as chat functions, by chat name, in the order they are offered. */
export interface ChatToolMapping {
  tools: ChatTool[];
  kinds: ReadonlyMap<string, ChatToolKind>;
}

/** The name of the one string parameter a custom tool's function takes. */
export const CUSTOM_TOOL_INPUT = 'input';

/** The chat function name of a tool inside a namespace (chat names cannot hold dots). */
export function namespacedChatName(namespace: string, name: string): string {
  return `${namespace}__${name}`;
}

const CHAT_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * The chat functions of `tools` (function, custom and client-executed tool_search tools; other types are left to the
 * caller) and of the tools loaded by the tool_search_output items among `items`.
 */
export function readChatToolMapping(tools: readonly ResponseTool[], items: readonly ResponseItem[]): ChatToolMapping {
  const kinds = new Map<string, ChatToolKind>();
  const chatTools: ChatTool[] = [];
  const add = (name: string, kind: ChatToolKind, fn: Omit<ChatTool['function'], 'name'>): void => {
    if (!CHAT_NAME.test(name) || kinds.has(name)) return;
    kinds.set(name, kind);
    chatTools.push({ type: 'function', function: { name, ...fn } });
  };
  const addTool = (tool: Record<string, unknown>, namespace?: string): void => {
    const name = typeof tool.name === 'string' ? tool.name : '';
    const chatName = namespace === undefined ? name : namespacedChatName(namespace, name);
    const ns = namespace === undefined ? {} : { namespace };
    switch (tool.type) {
      case 'function':
        add(chatName, { kind: 'function', name, ...ns }, describeFunction(tool));
        break;
      case 'custom':
        add(chatName, { kind: 'custom', name, ...ns }, describeCustomTool(tool));
        break;
      case 'tool_search':
        if (tool.execution === 'client') add('tool_search', { kind: 'tool_search' }, describeToolSearch(tool));
        break;
      case 'namespace':
        if (namespace === undefined && typeof tool.name === 'string' && Array.isArray(tool.tools)) {
          for (const inner of tool.tools as Record<string, unknown>[]) addTool(inner, tool.name);
        }
        break;
    }
  };
  for (const tool of tools) addTool(tool as Record<string, unknown>);
  for (const item of items) if (item.type === 'tool_search_output') for (const tool of item.tools) addTool(tool);
  return { tools: chatTools, kinds };
}

function describeFunction(tool: Record<string, unknown>): Omit<ChatTool['function'], 'name'> {
  const fn: Omit<ChatTool['function'], 'name'> = {};
  if (typeof tool.description === 'string') fn.description = tool.description;
  if (isRecord(tool.parameters)) fn.parameters = tool.parameters;
  if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
  return fn;
}

/** A custom tool as a function: its input as one string, the format's grammar (or free text) in the description. */
function describeCustomTool(tool: Record<string, unknown>): Omit<ChatTool['function'], 'name'> {
  const format = isRecord(tool.format) ? tool.format : { type: 'text' };
  const lines = typeof tool.description === 'string' && tool.description !== '' ? [tool.description, ''] : [];
  lines.push(`This tool takes free-form text, not JSON: put the whole input, exactly as the tool reads it, in the string parameter \`${CUSTOM_TOOL_INPUT}\`.`);
  if (format.type === 'grammar' && typeof format.definition === 'string') {
    const syntax = format.syntax === 'regex' ? 'regular expression' : 'Lark grammar';
    lines.push(`The input must match this ${syntax}:`, '```', format.definition, '```');
  }
  return {
    description: lines.join('\n'),
    parameters: {
      type: 'object',
      properties: { [CUSTOM_TOOL_INPUT]: { type: 'string', description: 'The raw input of the tool.' } },
      required: [CUSTOM_TOOL_INPUT],
      additionalProperties: false,
    },
  };
}

function describeToolSearch(tool: Record<string, unknown>): Omit<ChatTool['function'], 'name'> {
  return {
    description: typeof tool.description === 'string' ? tool.description : 'Searches the deferred tools and loads the matching ones for the next call.',
    parameters: isRecord(tool.parameters)
      ? tool.parameters
      : { type: 'object', properties: { query: { type: 'string' } }, required: ['query'], additionalProperties: false },
  };
}

/** The chat name of a call item in the history: its namespace joined to its name when it has one. */
export function chatNameOf(item: { name: string; namespace?: unknown }): string {
  return typeof item.namespace === 'string' && item.namespace !== '' ? namespacedChatName(item.namespace, item.name) : item.name;
}

/** A custom tool call's chat arguments: its input as the one string parameter. */
export function customInputToArguments(input: string): string {
  return JSON.stringify({ [CUSTOM_TOOL_INPUT]: input });
}

/**
 * The input a model wrote for a custom tool, from its chat arguments: the `input` string, or the arguments as they
 * are when the model did not write JSON (some models answer a freeform tool in plain text anyway).
 */
export function argumentsToCustomInput(argumentsText: string): string {
  try {
    const parsed = JSON.parse(argumentsText) as unknown;
    if (isRecord(parsed) && typeof parsed[CUSTOM_TOOL_INPUT] === 'string') return parsed[CUSTOM_TOOL_INPUT];
    if (typeof parsed === 'string') return parsed;
  } catch {
    // Not JSON: the text is the input.
  }
  return argumentsText;
}

/** A tool search's arguments as the item carries them: parsed JSON, or the text when it is not JSON. */
export function parseToolSearchArguments(argumentsText: string): unknown {
  try {
    return JSON.parse(argumentsText) as unknown;
  } catch {
    return argumentsText;
  }
}

/** The Responses item for one chat tool call, by what its function name stands for (unknown names are functions). */
export function toResponseCallItem(
  mapping: Pick<ChatToolMapping, 'kinds'> | null,
  call: { id: string; name: string; arguments: string },
  status: ResponseItemStatus,
  createItemId: CreateItemId,
): ResponseOutputItem {
  const kind = mapping?.kinds.get(call.name) ?? { kind: 'function', name: call.name };
  const namespace = kind.kind !== 'tool_search' && kind.namespace !== undefined ? { namespace: kind.namespace } : {};
  switch (kind.kind) {
    case 'custom':
      return {
        type: 'custom_tool_call',
        id: createItemId('ctc'),
        status,
        call_id: call.id,
        name: kind.name,
        input: argumentsToCustomInput(call.arguments),
        ...namespace,
      };
    case 'tool_search':
      return {
        type: 'tool_search_call',
        id: createItemId('tsc'),
        status,
        call_id: call.id,
        arguments: parseToolSearchArguments(call.arguments),
        execution: 'client',
      };
    case 'function':
      return { type: 'function_call', id: createItemId('fc'), status, call_id: call.id, name: kind.name, arguments: call.arguments, ...namespace };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
