// The request-log row of one agent session step: a model call like a Responses request's, with the session it ran
// for. Its id is the step's request id, which its usage event carries too (tokens and cost join on it).
import type { RequestLogRow } from '../store/index.ts';
import type { CompactionCall } from '../turns/index.ts';
import { toCrosswayError } from '../wire/index.ts';
import type { AgentStepResult } from './agent-step.ts';

/** The `endpoint` of a step's row, and of the row of a call that compacted the session before a step. */
export const AGENT_STEP_ENDPOINT = 'agents.sessions.step';
export const AGENT_COMPACTION_ENDPOINT = 'agents.sessions.compact';

/** Where step rows go (the gateway's RequestLogWriter: queued, written in batches, never awaited). */
export interface AgentStepLog {
  record(row: RequestLogRow): void;
}

/** A step as it began: its request id, the session, the model asked for, and when (wall clock and performance.now()). */
export interface AgentStepStart {
  requestId: string;
  sessionId: string;
  model: string;
  createdAt: string;
  startedAt: number;
  /** The caller's tenant and key (null: the master key or a dashboard session), as every request-log row has them. */
  tenantId?: string;
  keyId?: string | null;
}

/**
 * The row of a step that ended with a result, or with `error` (a failure before or during its model call), or of the
 * summarising call that compacted the session before a step.
 */
export function toAgentStepLogRow(
  start: AgentStepStart,
  outcome: { step: AgentStepResult } | { error: unknown } | { compaction: CompactionCall },
  endedAt: number,
): RequestLogRow {
  const row = {
    id: start.requestId,
    created_at: start.createdAt,
    endpoint: 'compaction' in outcome ? AGENT_COMPACTION_ENDPOINT : AGENT_STEP_ENDPOINT,
    model: start.model,
    stream: true,
    duration_ms: Math.round(endedAt - start.startedAt),
    ttfb_ms: null,
    session_id: start.sessionId,
    tenant_id: start.tenantId ?? null,
    key_id: start.keyId ?? null,
  };
  if ('error' in outcome) {
    const error = toCrosswayError(outcome.error);
    return {
      ...row,
      route: null,
      decision_id: error.decisionId,
      attempts: error.attemptCount ?? 0,
      status: error.status,
      error_code: error.code,
      prompt_tokens: null,
      completion_tokens: null,
      cached_tokens: null,
    };
  }
  if ('compaction' in outcome) {
    const { info, usage } = outcome.compaction;
    return {
      ...row,
      route: info.route.id,
      provider: info.route.provider,
      decision_id: info.decisionId,
      attempts: info.attempts,
      status: 200,
      error_code: null,
      prompt_tokens: usage?.input_tokens ?? null,
      completion_tokens: usage?.output_tokens ?? null,
      cached_tokens: usage?.input_tokens_details?.cached_tokens ?? null,
    };
  }
  const { result, info } = outcome.step;
  const usage = result.response.usage ?? null;
  const failure = result.response.status === 'failed' ? (result.response.error ?? null) : null;
  return {
    ...row,
    route: info?.route.id ?? result.route?.id ?? null,
    provider: info?.route.provider ?? result.route?.provider ?? null,
    // The step's MCP operations (tool names and outcomes, never arguments), as a Responses request's row has them.
    ...(outcome.step.mcpCalls.length === 0 ? {} : { mcp_calls: outcome.step.mcpCalls }),
    decision_id: info?.decisionId ?? null,
    attempts: info?.attempts ?? 0,
    // A stream that failed once begun is a failed call (the turn fails with it), not the 200 its head said.
    status: failure === null ? 200 : 502,
    error_code: failure === null ? null : String(failure.code ?? 'server_error'),
    prompt_tokens: usage?.input_tokens ?? null,
    completion_tokens: usage?.output_tokens ?? null,
    cached_tokens: usage?.input_tokens_details?.cached_tokens ?? null,
  };
}
