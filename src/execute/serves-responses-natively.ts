// Which routes take Responses turns natively, and the shapes the executor's `responses` / `responsesStream` exchange
// with their caller: the per-route bodies and the tagged answer (the cloud's own Response, or a chat completion).
import type { Route } from '../catalog/index.ts';
import type { NativeResponsesWire, ProviderAdapter } from '../providers/index.ts';
import type { ChatCompletion, ChatCompletionRequest, Usage } from '../wire/index.ts';

/**
 * The bodies of one Responses turn for a route, asked once per attempt so that the caller can size the context to the
 * route: `native` is the Responses body (full context as `input` items; null to always use chat), `chat` the same
 * turn as a chat completion request.
 */
export type ResponsesBodies = (route: Route) => { native: Record<string, unknown> | null; chat: ChatCompletionRequest };

/** A Responses turn's answer: the cloud's own Response object, or a chat completion to translate. */
export type ResponsesAnswer =
  | { kind: 'native'; response: Record<string, unknown>; usage: Usage | null; passthroughBody: Uint8Array }
  | { kind: 'chat'; completion: ChatCompletion; passthroughBody?: Uint8Array };

/**
 * The native Responses wire a route's Responses turns go to, or null when they go through chat completions: the route
 * must declare the `responses` capability and its adapter serve `/responses` on it (`responses.supports(route)`).
 */
export function servesResponsesNatively(route: Route, adapter: ProviderAdapter): NativeResponsesWire | null {
  const wire = adapter.responses;
  if (wire === undefined || !route.capabilities.includes('responses') || !wire.supports(route)) return null;
  return wire;
}
