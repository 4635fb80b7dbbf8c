// What the request-log row says of a model call: the route, provider, attempts and decision of any call, and the usage
// of a chat-shaped one (chat completions, and Messages translated to chat).
import type { CallInfo } from '../calls/index.ts';
import type { Usage } from '../wire/index.ts';
import type { Exchange } from './gateway-types.ts';

/** What the log row keeps of a call that reached a route. */
export type LoggedCallInfo = Pick<CallInfo, 'decisionId' | 'attempts'> & { route: Pick<CallInfo['route'], 'id' | 'provider'> };

/** Records the call's route, provider, attempts and decision on the exchange's log row (when it has one). */
export function logCallInfo(exchange: Exchange, info: LoggedCallInfo): void {
  const log = exchange.log;
  if (log === null) return;
  log.route = info.route.id;
  log.provider = info.route.provider;
  log.attempts = info.attempts;
  log.decision_id = info.decisionId;
}

/** Records the call's route and attempts (when a route answered) and its chat usage (when known) on the exchange's log row. */
export function logChatCall(exchange: Exchange, info: LoggedCallInfo | null, usage: Usage | undefined): void {
  const log = exchange.log;
  if (log === null) return;
  if (info !== null) logCallInfo(exchange, info);
  if (usage !== undefined) {
    log.prompt_tokens = usage.prompt_tokens;
    log.completion_tokens = usage.completion_tokens;
    log.cached_tokens = usage.prompt_tokens_details?.cached_tokens ?? null;
  }
}
