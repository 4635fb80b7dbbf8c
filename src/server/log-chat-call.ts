// What the request-log row says of a chat-shaped call (chat completions, and Messages translated to chat).
import type { Usage } from '../wire/index.ts';
import type { Exchange } from './gateway-types.ts';

/** Records the call's route and attempts (when a route answered) and its chat usage (when known) on the exchange's log row. */
export function logChatCall(exchange: Exchange, info: { route: { id: string }; attempts: number } | null, usage: Usage | undefined): void {
  const log = exchange.log;
  if (log === null) return;
  if (info !== null) {
    log.route = info.route.id;
    log.attempts = info.attempts;
  }
  if (usage !== undefined) {
    log.prompt_tokens = usage.prompt_tokens;
    log.completion_tokens = usage.completion_tokens;
    log.cached_tokens = usage.prompt_tokens_details?.cached_tokens ?? null;
  }
}
