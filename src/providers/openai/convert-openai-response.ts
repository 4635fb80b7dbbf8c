// Reads successful OpenAI-wire replies: validates the fields Crossway reads (usage) and hands back the original bytes
// so the gateway never re-serialises a reply it can forward unchanged (cloud-specific fields such as Azure's
// `prompt_filter_results` stay intact).
// Sources: OpenAI API reference "The chat completion object", "The embedding object" and `CompletionUsage`.
import type { Route } from '../../catalog/index.ts';
import { UpstreamError, type ChatCompletion, type EmbeddingResponse, type Usage } from '../../wire/index.ts';
import type { ChatResult, EmbeddingResult } from '../provider-adapter.ts';
import { decodeBody } from '../summarize-error-body.ts';
import type { z } from 'zod';
import { openaiChatCompletionSchema, openaiEmbeddingResponseSchema, type openaiUsageSchema } from './openai-api.ts';

/** Reads a 2xx chat reply; throws a retryable UpstreamError (502) when it is not a chat completion. */
export function convertOpenAIChatResponse(body: Uint8Array, route: Route): ChatResult {
  const json = parseJsonBody(body, route);
  const checked = openaiChatCompletionSchema.safeParse(json);
  if (!checked.success) throw invalidUpstreamResponse(route, `not a chat completion: ${checked.error.issues[0]?.message}`);
  // The parsed JSON itself (not zod's copy) is returned, so every field the cloud sent is kept.
  const completion = json as ChatCompletion;
  const usage = checked.data.usage;
  if (usage !== null && usage !== undefined) completion.usage = normalizeOpenAIUsage(usage);
  return { completion, passthroughBody: body };
}

/** Reads a 2xx embeddings reply; throws a retryable UpstreamError (502) when it is not an embeddings list. */
export function convertOpenAIEmbeddingResponse(body: Uint8Array, route: Route): EmbeddingResult {
  const json = parseJsonBody(body, route);
  const checked = openaiEmbeddingResponseSchema.safeParse(json);
  if (!checked.success) throw invalidUpstreamResponse(route, `not an embeddings list: ${checked.error.issues[0]?.message}`);
  const response = json as EmbeddingResponse;
  const usage = checked.data.usage;
  if (usage !== undefined) {
    response.usage = { ...usage, total_tokens: usage.total_tokens ?? usage.prompt_tokens };
  }
  return { response, passthroughBody: body };
}

/** Usage with `total_tokens` filled in when a compatible server left it out. */
export function normalizeOpenAIUsage(usage: z.infer<typeof openaiUsageSchema>): Usage {
  return { ...usage, total_tokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens };
}

/** A 2xx reply that cannot be read: the upstream is broken, so another route may do better. */
export function invalidUpstreamResponse(route: Route, detail: string): UpstreamError {
  return new UpstreamError(`Upstream sent an unreadable reply (${detail})`, {
    route: route.id,
    status: 502,
    code: 'invalid_upstream_response',
    type: 'server_error',
    retryable: true,
  });
}

function parseJsonBody(body: Uint8Array, route: Route): unknown {
  try {
    return JSON.parse(decodeBody(body));
  } catch {
    throw invalidUpstreamResponse(route, 'not JSON');
  }
}
