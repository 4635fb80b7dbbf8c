// Turns a Responses API request (OpenAI and Azure OpenAI's v1 API alike) into the cloud-neutral ReplyRequest, the way
// a model sees the context: `instructions` first as a system message, then the input items in order. Requests that
// need state the emulator does not keep (a previous response, a conversation, a stored item) get the cloud's 404;
// the emulators answer every request statelessly, as Crossway calls them.
// Source: OpenAI API reference "Create a model response" (`instructions`, `input` items, `tool_choice`, `text.format`,
// `max_output_tokens`) and its error wording for unknown ids ("Previous response with id '...' not found.").
import type { ReplyMessage, ReplyRequest, ReplyTool } from './generate-chat-reply.ts';
import { openAIError, type OpenAIErrorBody } from './openai-error-body.ts';
import type { OpenAIResponsesInputItem, OpenAIResponsesRequest } from './openai-responses-request-schema.ts';

/** A request the emulator refuses, with the status and body the cloud would send. */
export interface ResponsesRefusal {
  status: number;
  body: OpenAIErrorBody;
}

/** The ReplyRequest that `body` asks for (`cloud` is named in the generated text), or why it is refused. */
export function convertOpenAIResponsesRequest(body: OpenAIResponsesRequest, cloud: string): { request: ReplyRequest } | { refusal: ResponsesRefusal } {
  if (typeof body.previous_response_id === 'string') {
    return notFound(`Previous response with id '${body.previous_response_id}' not found.`, 'previous_response_id', 'previous_response_not_found');
  }
  if (body.conversation !== null && body.conversation !== undefined) {
    const id = typeof body.conversation === 'string' ? body.conversation : body.conversation.id;
    return notFound(`Conversation with id '${id}' not found.`, 'conversation', null);
  }
  if (body.background === true) {
    return { refusal: { status: 400, body: openAIError('The emulator does not run background responses.', 'invalid_request_error', 'background', null) } };
  }
  const items = body.input;
  const messages: ReplyMessage[] = [];
  if (typeof body.instructions === 'string' && body.instructions !== '') messages.push({ role: 'system', text: body.instructions });
  // The assistant turn that function calls belong to: the model's text and its calls form one message.
  let assistant: ReplyMessage | null = null;
  const addCall = (call: { id: string; name: string; arguments: string }): void => {
    if (assistant === null) {
      assistant = { role: 'assistant', text: '', toolCalls: [call] };
      messages.push(assistant);
    } else {
      // ReplyMessage is read-only for generation; the open turn is rebuilt with the call added.
      const extended: ReplyMessage = { ...assistant, toolCalls: [...(assistant.toolCalls ?? []), call] };
      messages[messages.lastIndexOf(assistant)] = extended;
      assistant = extended;
    }
  };
  for (const [index, item] of items.entries()) {
    switch (item.type) {
      case 'message':
        assistant = item.role === 'assistant' ? { role: 'assistant', text: readText(item.content) } : null;
        messages.push(assistant ?? { role: item.role, text: readText(item.content), images: countImages(item.content) });
        break;
      case 'function_call':
        addCall({ id: item.call_id, name: item.name, arguments: item.arguments });
        break;
      case 'custom_tool_call':
        addCall({ id: item.call_id, name: item.name, arguments: item.input });
        break;
      case 'tool_search_call':
        if (typeof item.call_id === 'string') addCall({ id: item.call_id, name: 'tool_search', arguments: JSON.stringify(item.arguments ?? {}) });
        break;
      case 'custom_tool_call_output':
        assistant = null;
        messages.push({ role: 'tool', text: readText(item.output), toolCallId: item.call_id });
        break;
      case 'tool_search_output':
        if (typeof item.call_id === 'string') {
          assistant = null;
          messages.push({ role: 'tool', text: JSON.stringify(item.tools), toolCallId: item.call_id });
        }
        break;
      case 'web_search_call':
      case 'file_search_call':
      case 'code_interpreter_call':
      case 'image_generation_call':
        break;
      case 'function_call_output':
        assistant = null;
        messages.push({ role: 'tool', text: readText(item.output), toolCallId: item.call_id });
        break;
      case 'item_reference':
        return notFound(`Item with id '${item.id}' not found.`, `input[${index}]`, null);
      case 'compaction':
        // OpenAI's compaction items are encrypted by OpenAI; anything else fails to decrypt.
        return {
          refusal: {
            status: 400,
            body: openAIError(
              'The encrypted content could not be verified.',
              'invalid_request_error',
              `input[${index}].encrypted_content`,
              'invalid_encrypted_content',
            ),
          },
        };
      case 'reasoning':
        break;
    }
  }
  const format = body.text?.format;
  const choice = body.tool_choice;
  // `allowed_tools` narrows the tools to those it names, with its mode as the choice.
  const allowed = typeof choice === 'object' && choice.type === 'allowed_tools' ? new Set(choice.tools.map((tool) => tool.name)) : null;
  // The tools the model may call: functions, custom tools (free text) and a client-executed tool search; hosted tools
  // run inside the cloud and the emulated model never needs them.
  const tools = (body.tools ?? []).flatMap((tool): ReplyTool[] => {
    switch (tool.type) {
      case 'function':
        return [{ name: tool.name, description: tool.description ?? undefined, parameters: tool.parameters ?? undefined }];
      case 'custom':
        return [{ name: tool.name, description: tool.description ?? undefined, freeform: true }];
      case 'tool_search':
        return tool.execution === 'client'
          ? [{ name: 'tool_search', description: tool.description ?? undefined, parameters: tool.parameters ?? undefined, toolSearch: true }]
          : [];
      default:
        return [];
    }
  });
  const offered = tools.filter((tool) => allowed === null || allowed.has(tool.name));
  return {
    request: {
      cloud,
      messages,
      tools: body.tools === undefined ? undefined : offered,
      toolChoice:
        choice === undefined || typeof choice === 'string'
          ? choice
          : choice.type === 'function' || choice.type === 'custom'
            ? { name: choice.name }
            : choice.type === 'allowed_tools'
              ? choice.mode
              : // A forced hosted tool runs inside the cloud; the emulated model answers in words.
                undefined,
      parallelToolCalls: body.parallel_tool_calls ?? undefined,
      format:
        format === undefined
          ? undefined
          : format.type === 'json_schema'
            ? { type: 'json_schema', schema: format.schema }
            : { type: format.type as 'text' | 'json_object' },
      maxTokens: body.max_output_tokens ?? undefined,
    },
  };
}

type Content =
  | Extract<OpenAIResponsesInputItem, { type: 'message' }>['content']
  | Extract<OpenAIResponsesInputItem, { type: 'function_call_output' }>['output'];

function readText(content: Content): string {
  if (typeof content === 'string') return content;
  return content
    .flatMap((part) =>
      'text' in part && typeof part.text === 'string' ? [part.text] : 'refusal' in part && typeof part.refusal === 'string' ? [part.refusal] : [],
    )
    .join('\n');
}

function countImages(content: Content): number {
  return typeof content === 'string' ? 0 : content.filter((part) => part.type === 'input_image').length;
}

function notFound(message: string, param: string, code: string | null): { refusal: ResponsesRefusal } {
  return { refusal: { status: 404, body: openAIError(message, 'invalid_request_error', param, code) } };
}
