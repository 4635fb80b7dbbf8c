// Turns a validated Converse body into the cloud-neutral ReplyRequest: system blocks, text and image blocks, toolUse
// (assistant) and toolResult (user) history, toolConfig tools and toolChoice, inferenceConfig and outputConfig.
// Field meanings: Converse API reference (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html).
import type { BedrockContentBlock, BedrockConverseRequest } from './bedrock-converse-request.ts';
import type { ReplyMessage, ReplyRequest, ReplyToolChoice } from './generate-chat-reply.ts';

/** The ReplyRequest that `body` asks for; `cloud` is named in the generated text. */
export function convertBedrockConverseRequest(body: BedrockConverseRequest, cloud: string): ReplyRequest {
  const messages: ReplyMessage[] = [];
  const system = (body.system ?? []).flatMap((block) => (block.text === undefined ? [] : [block.text]));
  if (system.length > 0) messages.push({ role: 'system', text: system.join('\n') });
  for (const message of body.messages ?? []) {
    if (message.role === 'assistant') {
      const calls = message.content.flatMap((block) =>
        block.toolUse === undefined ? [] : [{ id: block.toolUse.toolUseId, name: block.toolUse.name, arguments: JSON.stringify(block.toolUse.input ?? {}) }],
      );
      messages.push({ role: 'assistant', text: joinTexts(message.content), ...(calls.length > 0 && { toolCalls: calls }) });
      continue;
    }
    // A user turn answers tool calls with toolResult blocks and may add words of its own after them.
    for (const block of message.content) {
      if (block.toolResult === undefined) continue;
      const text = block.toolResult.content
        .map((part) => part.text ?? (part.json === undefined ? '' : JSON.stringify(part.json)))
        .filter((part) => part !== '')
        .join('\n');
      messages.push({ role: 'tool', text, toolCallId: block.toolResult.toolUseId });
    }
    const images = message.content.filter((block) => block.image !== undefined).length;
    const text = joinTexts(message.content);
    if (text !== '' || images > 0) messages.push({ role: 'user', text, images });
  }
  const tools = (body.toolConfig?.tools ?? []).flatMap((tool) =>
    tool.toolSpec === undefined ? [] : [{ name: tool.toolSpec.name, description: tool.toolSpec.description, parameters: tool.toolSpec.inputSchema.json }],
  );
  const jsonSchema = body.outputConfig?.textFormat?.structure.jsonSchema?.schema;
  return {
    cloud,
    messages,
    tools,
    toolChoice: convertToolChoice(body.toolConfig?.toolChoice),
    format: jsonSchema === undefined ? undefined : { type: 'json_schema', schema: JSON.parse(jsonSchema) as unknown },
    maxTokens: body.inferenceConfig?.maxTokens,
    stop: body.inferenceConfig?.stopSequences,
  };
}

/** `auto` decides, `any` must call some tool, `tool` must call the named one. */
function convertToolChoice(choice: NonNullable<BedrockConverseRequest['toolConfig']>['toolChoice']): ReplyToolChoice {
  if (choice?.tool !== undefined) return { name: choice.tool.name };
  if (choice?.any !== undefined) return 'required';
  return 'auto';
}

function joinTexts(blocks: readonly BedrockContentBlock[]): string {
  return blocks.flatMap((block) => (block.text === undefined ? [] : [block.text])).join('\n');
}
