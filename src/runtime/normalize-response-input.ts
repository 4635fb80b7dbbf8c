// Turns a Responses request's `input` (a string or items as the client sent them) into the items Crossway stores and
// lists back: every item has an id and a status, and message content is always a list of parts, as OpenAI lists a
// response's input items.
import type { ResponseInputContent, ResponseInputItem, ResponseItem, ResponseOutputContent } from '../wire/index.ts';
import { createItemId as createRandomItemId, type CreateItemId } from './create-item-id.ts';

type InputMessage = Extract<ResponseInputItem, { type: 'message' }>;
type InputPart = Extract<Exclude<InputMessage['content'], string>[number], { type: ResponseInputContent['type'] }>;

/**
 * `input` -> items with ids: a string is one user message with one `input_text` part; ids the client gave are kept,
 * missing ones are made with OpenAI's prefixes (`msg_`, `fc_`, `fco_`, `rs_`, `ctc_`...); a missing status is `completed`.
 * `item_reference` items are passed on unchanged: the caller resolves them against its store.
 */
export function normalizeResponseInput(
  input: string | readonly ResponseInputItem[] | null | undefined,
  createItemId: CreateItemId = createRandomItemId,
): ResponseItem[] {
  if (input === null || input === undefined) return [];
  if (typeof input === 'string') {
    return [{ type: 'message', id: createItemId('msg'), role: 'user', content: [{ type: 'input_text', text: input }], status: 'completed' }];
  }
  return input.map((item) => normalizeItem(item, createItemId));
}

function normalizeItem(item: ResponseInputItem, createItemId: CreateItemId): ResponseItem {
  switch (item.type) {
    case 'message': {
      const base = { ...item, id: item.id ?? createItemId('msg'), status: item.status ?? 'completed' };
      if (item.role === 'assistant') return { ...base, role: 'assistant', content: normalizeAssistantContent(item.content) };
      return { ...base, role: item.role, content: normalizeInputContent(item.content) };
    }
    case 'function_call':
      return { ...item, id: item.id ?? createItemId('fc'), status: item.status ?? 'completed' };
    case 'function_call_output':
      return {
        ...item,
        id: item.id ?? createItemId('fco'),
        output: typeof item.output === 'string' ? item.output : item.output.map(normalizeInputPart),
        status: item.status ?? 'completed',
      };
    case 'item_reference':
      return { type: 'item_reference', id: item.id };
    case 'reasoning':
      return { ...item, id: item.id ?? createItemId('rs') };
    case 'compaction':
      return { type: 'compaction', id: item.id ?? createItemId('cmp'), encrypted_content: item.encrypted_content };
    case 'custom_tool_call':
      return { ...item, id: item.id ?? createItemId('ctc'), status: item.status ?? 'completed' };
    case 'custom_tool_call_output':
      return {
        ...item,
        id: item.id ?? createItemId('ctco'),
        output: typeof item.output === 'string' ? item.output : item.output.map(normalizeInputPart),
        status: item.status ?? 'completed',
      };
    case 'tool_search_call':
      return {
        ...item,
        id: item.id ?? createItemId('tsc'),
        call_id: item.call_id ?? null,
        execution: item.execution ?? 'client',
        status: item.status ?? 'completed',
      };
    case 'tool_search_output':
      return {
        ...item,
        id: item.id ?? createItemId('tso'),
        call_id: item.call_id ?? null,
        execution: item.execution ?? 'client',
        status: item.status ?? 'completed',
      };
    case 'web_search_call':
    case 'file_search_call':
    case 'code_interpreter_call':
    case 'image_generation_call':
      return { ...item, id: item.id ?? createItemId('htc') };
    case 'compaction_trigger':
      return { type: 'compaction_trigger', id: createItemId('ct') };
    case 'mcp_list_tools':
    case 'mcp_call':
    case 'mcp_approval_request':
    case 'mcp_approval_response':
      // The mcp tool's items are read by the MCP turn only (turns/run-mcp-turn.ts), which knows their shape.
      return { ...item, id: item.id ?? createItemId('mcpa') } as unknown as ResponseItem;
  }
}

function normalizeInputContent(content: string | readonly InputPart[]): ResponseInputContent[] {
  if (typeof content === 'string') return [{ type: 'input_text', text: content }];
  return content.map(normalizeInputPart);
}

function normalizeInputPart(part: InputPart): ResponseInputContent {
  // OpenAI's default image detail is `auto`; the stored part says so explicitly, as OpenAI lists it.
  if (part.type === 'input_image') return { ...part, detail: part.detail ?? 'auto' };
  return part;
}

type AssistantPart = Exclude<Extract<InputMessage, { role: 'assistant' }>['content'], string>[number];

/** An earlier answer: text parts become `output_text` (as the answer was produced), refusals stay refusals. */
function normalizeAssistantContent(content: string | readonly AssistantPart[]): ResponseOutputContent[] {
  if (typeof content === 'string') return [{ type: 'output_text', text: content, annotations: [] }];
  return content.map((part): ResponseOutputContent => {
    switch (part.type) {
      case 'refusal':
        return part;
      case 'input_text':
        return { type: 'output_text', text: part.text, annotations: [] };
      case 'output_text':
        return { ...part, annotations: part.annotations ?? [] };
      default:
        return part satisfies never;
    }
  });
}
