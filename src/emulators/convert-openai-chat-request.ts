// Turns an OpenAI-wire chat request (OpenAI and Azure OpenAI alike) into the cloud-neutral ReplyRequest.
import type { ReplyMessage, ReplyRequest } from './generate-chat-reply.ts';
import type { OpenAIChatMessage, OpenAIChatRequest } from './openai-request-schema.ts';

/** The ReplyRequest that `body` asks for; `cloud` is named in the generated text. */
export function convertOpenAIChatRequest(body: OpenAIChatRequest, cloud: string): ReplyRequest {
  const choice = body.tool_choice;
  const format = body.response_format;
  const stop = body.stop ?? [];
  return {
    cloud,
    messages: body.messages.map(convertMessage),
    tools: body.tools?.map((tool) => ({
      name: tool.function.name,
      description: tool.function.description,
      parameters: tool.function.parameters,
    })),
    toolChoice: typeof choice === 'object' ? { name: choice.function.name } : choice,
    parallelToolCalls: body.parallel_tool_calls,
    format:
      format?.type === 'json_schema'
        ? { type: 'json_schema', schema: format.json_schema.schema ?? { type: 'object' } }
        : format === undefined
          ? undefined
          : { type: format.type as 'text' | 'json_object' },
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    stop: typeof stop === 'string' ? [stop] : stop,
    n: body.n ?? 1,
  };
}

function convertMessage(message: OpenAIChatMessage): ReplyMessage {
  const content = message.content;
  const parts = typeof content === 'string' || content === null || content === undefined ? [] : content;
  const texts = typeof content === 'string' ? [content] : parts.flatMap((part) => ('text' in part && typeof part.text === 'string' ? [part.text] : []));
  const images = parts.filter((part) => part.type === 'image_url').length;
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        text: texts.join('\n'),
        toolCalls: message.tool_calls?.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })),
      };
    case 'tool':
      return { role: 'tool', text: texts.join('\n'), toolCallId: message.tool_call_id };
    case 'function':
      // The deprecated function-calling form: its result reads like a tool result.
      return { role: 'tool', text: texts.join('\n') };
    default:
      return { role: message.role, text: texts.join('\n'), images };
  }
}
