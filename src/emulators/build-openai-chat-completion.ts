// Renders a ChatReply in OpenAI's chat wire format: a `chat.completion`, or the `chat.completion.chunk` sequence.
// Shapes follow the OpenAI API reference ("The chat completion object", "The chat completion chunk object"):
// the first delta carries `role`, content arrives a few tokens per chunk, tool-call arguments arrive in several
// deltas keyed by `index` with `id`/`type`/`name` only on the first, `finish_reason` comes on the choice's last
// chunk, and with `stream_options.include_usage` every chunk has `usage: null` before a final `choices: []` chunk.
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionChunkChoice, Usage } from '../wire/index.ts';
import type { ChatReply, ReplyChoice } from './generate-chat-reply.ts';

/** Identity of one completion, shared by its chunks. */
export interface OpenAICompletionMeta {
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
  systemFingerprint: string | null;
  /** OpenAI sends `service_tier`; Azure does not. */
  serviceTier?: string;
}

const WORDS_PER_CHUNK = 2;
const ARGUMENT_PIECES = 3;

/** OpenAI's usage object, with the detail counters it always sends. */
export function buildOpenAIUsage(reply: ChatReply): Usage {
  return {
    prompt_tokens: reply.promptTokens,
    completion_tokens: reply.completionTokens,
    total_tokens: reply.promptTokens + reply.completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** The non-streamed `chat.completion` object. */
export function buildOpenAIChatCompletion(reply: ChatReply, meta: OpenAICompletionMeta): ChatCompletion {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: reply.choices.map((choice) => ({
      index: choice.index,
      message: {
        role: 'assistant',
        content: choice.content,
        refusal: null,
        annotations: [],
        ...(choice.toolCalls.length > 0 && {
          tool_calls: choice.toolCalls.map((call) => ({
            id: call.id,
            type: 'function' as const,
            function: { name: call.name, arguments: call.arguments },
          })),
        }),
      },
      logprobs: null,
      finish_reason: choice.finishReason,
    })),
    usage: buildOpenAIUsage(reply),
    ...(meta.serviceTier !== undefined && { service_tier: meta.serviceTier }),
    system_fingerprint: meta.systemFingerprint,
  };
}

/** The `chat.completion.chunk` objects of a streamed answer, in order (choices one after the other). */
export function buildOpenAIChatCompletionChunks(reply: ChatReply, meta: OpenAICompletionMeta, options: { includeUsage?: boolean } = {}): ChatCompletionChunk[] {
  const chunk = (choices: ChatCompletionChunkChoice[]): ChatCompletionChunk => ({
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    ...(meta.serviceTier !== undefined && { service_tier: meta.serviceTier }),
    system_fingerprint: meta.systemFingerprint,
    choices,
    ...(options.includeUsage === true && { usage: null }),
  });
  const chunks = reply.choices.flatMap((choice) =>
    choiceDeltas(choice).map((delta, position, all) =>
      chunk([
        {
          index: choice.index,
          delta,
          logprobs: null,
          finish_reason: position === all.length - 1 ? choice.finishReason : null,
        },
      ]),
    ),
  );
  if (options.includeUsage === true) chunks.push({ ...chunk([]), usage: buildOpenAIUsage(reply) });
  return chunks;
}

/** Splits text into stream pieces of a few words (a few tokens) each; joined they give the text back. */
export function splitForStreaming(text: string, wordsPerPiece = WORDS_PER_CHUNK): string[] {
  const words = text.match(/\s*\S+/g) ?? [];
  const pieces: string[] = [];
  for (let at = 0; at < words.length; at += wordsPerPiece) pieces.push(words.slice(at, at + wordsPerPiece).join(''));
  const rest = text.slice(pieces.join('').length);
  if (rest !== '') pieces.push(rest);
  return pieces;
}

/** The deltas of one choice; the last one is empty and gets the finish reason. */
function choiceDeltas(choice: ReplyChoice): ChatCompletionChunkChoice['delta'][] {
  if (choice.toolCalls.length === 0) {
    return [{ role: 'assistant', content: '', refusal: null }, ...splitForStreaming(choice.content ?? '').map((content) => ({ content })), {}];
  }
  const deltas: ChatCompletionChunkChoice['delta'][] = [];
  choice.toolCalls.forEach((call, index) => {
    const opening = {
      tool_calls: [{ index, id: call.id, type: 'function' as const, function: { name: call.name, arguments: '' } }],
    };
    deltas.push(index === 0 ? { role: 'assistant', content: null, refusal: null, ...opening } : opening);
    for (const piece of splitEvenly(call.arguments, ARGUMENT_PIECES)) {
      deltas.push({ tool_calls: [{ index, function: { arguments: piece } }] });
    }
  });
  deltas.push({});
  return deltas;
}

function splitEvenly(text: string, pieces: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / pieces));
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out;
}
