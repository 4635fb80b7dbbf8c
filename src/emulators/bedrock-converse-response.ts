// Renders a generated reply in Converse's wire format: the ConverseResponse object, or the ordered ConverseStream
// events. Shapes: botocore bedrock-runtime 2023-09-30 service-2.json (ConverseResponse, ConverseStreamOutput and its
// event structures). In a stream each event's payload is the event structure itself (`{"contentBlockIndex":0,
// "delta":{"text":"Hi"}}` under `:event-type: contentBlockDelta`); text blocks get no contentBlockStart, tool-use
// blocks open with `start.toolUse` {toolUseId, name} and stream their input as JSON text fragments; reasoning blocks
// (ReasoningContentBlock) come first, get no contentBlockStart either and stream `delta.reasoningContent.text` pieces.
import { splitForStreaming } from './build-openai-chat-completion.ts';
import type { ChatReply, ReplyFinishReason } from './generate-chat-reply.ts';
import { sha256Hex } from './sha256-hex.ts';

/** Converse's stopReason values the emulator produces (service-2.json StopReason). */
export type BedrockStopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'guardrail_intervened';

/** One output content block. */
export type BedrockOutputBlock =
  | { text: string }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { reasoningContent: { reasoningText: { text: string } } };

/** The answer in Converse terms, shared by the JSON and the streamed form. */
export interface BedrockAnswer {
  content: BedrockOutputBlock[];
  stopReason: BedrockStopReason;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
}

/** One ConverseStream event: its `:event-type` and JSON payload. */
export interface BedrockStreamEvent {
  eventType: 'messageStart' | 'contentBlockStart' | 'contentBlockDelta' | 'contentBlockStop' | 'messageStop' | 'metadata';
  payload: Record<string, unknown>;
}

const INPUT_PIECES = 3;

/** Maps the generator's finish reason; `stoppedBySequence` tells a stop sequence from a natural end. */
export function mapToBedrockStopReason(reason: ReplyFinishReason, stoppedBySequence: boolean): BedrockStopReason {
  switch (reason) {
    case 'tool_calls':
      return 'tool_use';
    case 'length':
      return 'max_tokens';
    case 'stop':
      return stoppedBySequence ? 'stop_sequence' : 'end_turn';
  }
}

/** The first choice of `reply` as Converse content, with Bedrock-style `tooluse_` ids. */
export function toBedrockAnswer(reply: ChatReply, stopReason: BedrockStopReason): BedrockAnswer {
  const choice = reply.choices[0];
  const content: BedrockOutputBlock[] =
    choice === undefined || choice.toolCalls.length === 0
      ? [{ text: choice?.content ?? '' }]
      : choice.toolCalls.map((call) => ({
          toolUse: { toolUseId: bedrockToolUseId(call.id), name: call.name, input: JSON.parse(call.arguments) as unknown },
        }));
  return {
    content,
    stopReason,
    usage: { inputTokens: reply.promptTokens, outputTokens: reply.completionTokens, totalTokens: reply.promptTokens + reply.completionTokens },
  };
}

/** The ConverseResponse body. */
export function buildBedrockConverseResponse(answer: BedrockAnswer, latencyMs: number): Record<string, unknown> {
  return {
    output: { message: { role: 'assistant', content: answer.content } },
    stopReason: answer.stopReason,
    usage: answer.usage,
    metrics: { latencyMs },
  };
}

/** The ConverseStream events, in order: messageStart, each block's start/deltas/stop, messageStop, metadata. */
export function buildBedrockConverseStreamEvents(answer: BedrockAnswer, latencyMs: number): BedrockStreamEvent[] {
  const events: BedrockStreamEvent[] = [{ eventType: 'messageStart', payload: { role: 'assistant' } }];
  answer.content.forEach((block, contentBlockIndex) => {
    if ('reasoningContent' in block) {
      for (const text of splitForStreaming(block.reasoningContent.reasoningText.text)) {
        events.push({ eventType: 'contentBlockDelta', payload: { contentBlockIndex, delta: { reasoningContent: { text } } } });
      }
    } else if ('text' in block) {
      for (const text of splitForStreaming(block.text)) {
        events.push({ eventType: 'contentBlockDelta', payload: { contentBlockIndex, delta: { text } } });
      }
    } else {
      const { toolUseId, name, input } = block.toolUse;
      events.push({ eventType: 'contentBlockStart', payload: { contentBlockIndex, start: { toolUse: { toolUseId, name } } } });
      for (const piece of splitIntoPieces(JSON.stringify(input), INPUT_PIECES)) {
        events.push({ eventType: 'contentBlockDelta', payload: { contentBlockIndex, delta: { toolUse: { input: piece } } } });
      }
    }
    events.push({ eventType: 'contentBlockStop', payload: { contentBlockIndex } });
  });
  events.push({ eventType: 'messageStop', payload: { stopReason: answer.stopReason } });
  events.push({ eventType: 'metadata', payload: { usage: answer.usage, metrics: { latencyMs } } });
  return events;
}

/** `tooluse_` and 22 URL-safe characters, the form Bedrock's tool-use ids take. */
function bedrockToolUseId(callId: string): string {
  return `tooluse_${Buffer.from(sha256Hex(callId), 'hex').toString('base64url').slice(0, 22)}`;
}

function splitIntoPieces(text: string, pieces: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / pieces));
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out;
}
