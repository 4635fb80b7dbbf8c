// The Agents API's objects as the official types declare them (Agent, AgentSession, Turn, items, usage), built from
// what the store keeps; and the resolution of a session's agent from a saved agent and inline overrides.
import type { AgentRecord, AgentSessionRecord, AgentTurnRecord } from '../store/index.ts';
import type { ResponseUsage } from '../wire/index.ts';
import type { AgentCreateRequest, AgentUpdateRequest, SessionCreateRequest, SessionUpdateRequest } from './agent-schemas.ts';
import { redactAgentTools } from './agent-mcp-tools.ts';

/** Keys of stored objects that are Crossway's own (never sent to a client). */
const PRIVATE_PREFIX = 'crossway_';

/** Unix seconds of an ISO instant. */
export function toUnixSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

/** A stored object without Crossway's private keys. */
export function withoutPrivateKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !key.startsWith(PRIVATE_PREFIX)));
}

/** An agent tool as the types' PersistedAgentTool declares it (function tools with every field; others as sent). */
function toPersistedTool(tool: Record<string, unknown>): Record<string, unknown> {
  if (tool.type !== 'function') return tool;
  return {
    type: 'function',
    name: tool.name,
    description: tool.description ?? '',
    parameters: tool.parameters ?? {},
    defer_loading: tool.defer_loading ?? false,
    ...(tool.async === undefined ? {} : { async: tool.async }),
  };
}

/** The settings of an agent with every default applied: what a saved agent stores and a session resolves. */
export interface AgentSettings {
  model: string;
  instructions: string | null;
  name: string | null;
  metadata: Record<string, string>;
  multi_agent: { enabled: boolean; max_concurrent_subagents: number | null };
  reasoning: { effort: string | null; summary: string | null };
  service_tier: string;
  text: { format: Record<string, unknown>; verbosity: string };
  tools: Record<string, unknown>[];
  compaction: { async: boolean };
  experimental: { time_awareness: boolean };
}

type SettingsInput = Partial<Omit<AgentCreateRequest, 'model'>> & { model?: string };

/** Applies `input` over `base`: an absent field keeps the base's value, null resets it to the default. */
export function applyAgentSettings(base: AgentSettings, input: SettingsInput): AgentSettings {
  const next: AgentSettings = structuredClone(base);
  if (input.model !== undefined) next.model = input.model;
  if (input.instructions !== undefined) next.instructions = input.instructions;
  if (input.name !== undefined) next.name = input.name;
  if (input.metadata !== undefined) next.metadata = input.metadata ?? {};
  if (input.multi_agent !== undefined)
    next.multi_agent =
      input.multi_agent === null
        ? { enabled: false, max_concurrent_subagents: null }
        : { enabled: input.multi_agent.enabled, max_concurrent_subagents: input.multi_agent.max_concurrent_subagents ?? null };
  if (input.reasoning !== undefined)
    next.reasoning =
      input.reasoning === null
        ? { effort: null, summary: null }
        : { effort: input.reasoning.effort ?? next.reasoning.effort, summary: input.reasoning.summary ?? next.reasoning.summary };
  if (input.service_tier !== undefined) next.service_tier = input.service_tier ?? 'auto';
  if (input.text !== undefined)
    next.text =
      input.text === null
        ? { format: { type: 'text' }, verbosity: 'medium' }
        : { format: input.text.format ?? next.text.format, verbosity: input.text.verbosity ?? next.text.verbosity };
  if (input.tools !== undefined) next.tools = (input.tools ?? []).map((tool) => toPersistedTool(tool as Record<string, unknown>));
  // Null or an empty object enables background compaction (the types' words).
  if (input.compaction !== undefined) next.compaction = { async: input.compaction?.async ?? true };
  if (input.experimental?.time_awareness !== undefined) next.experimental = { time_awareness: input.experimental.time_awareness };
  return next;
}

/** The settings of a new agent: the defaults under the request. */
export function newAgentSettings(request: AgentCreateRequest): AgentSettings {
  const defaults: AgentSettings = {
    model: request.model,
    instructions: null,
    name: null,
    metadata: {},
    multi_agent: { enabled: false, max_concurrent_subagents: null },
    reasoning: { effort: null, summary: null },
    service_tier: 'auto',
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tools: [],
    compaction: { async: true },
    experimental: { time_awareness: false },
  };
  return applyAgentSettings(defaults, request);
}

/** A saved agent's settings after an update request. */
export function updateAgentSettings(current: AgentSettings, request: AgentUpdateRequest): AgentSettings {
  return applyAgentSettings(current, request);
}

/** The Agent object. */
export function toAgentObject(record: AgentRecord): Record<string, unknown> {
  const settings = record.config as unknown as AgentSettings;
  return {
    id: record.id,
    object: 'agent',
    created_at: toUnixSeconds(record.created_at),
    updated_at: toUnixSeconds(record.updated_at),
    ...settings,
    tools: redactAgentTools(settings.tools),
  };
}

/** A session's resolved agent (AgentSession.Agent): the saved agent's settings under the inline ones, metadata aside. */
export function resolveSessionAgent(id: string, saved: AgentSettings | null, inline: SessionCreateRequest['agent']): Record<string, unknown> {
  const base = saved ?? newAgentSettings({ model: inline?.model ?? '' });
  const { metadata: _metadata, ...settings } = applyAgentSettings(base, inline ?? {});
  return { id, ...settings };
}

/** The session's agent after an update request (model, reasoning effort, service tier, tools). */
export function updateSessionAgent(agent: Record<string, unknown>, update: NonNullable<SessionUpdateRequest['agent']>): Record<string, unknown> {
  const next = { ...agent };
  if (update.model !== undefined) next.model = update.model;
  if (update.reasoning?.effort !== undefined) next.reasoning = { ...(agent.reasoning as Record<string, unknown>), effort: update.reasoning.effort };
  if (update.service_tier !== undefined) next.service_tier = update.service_tier ?? 'auto';
  if (update.tools !== undefined) next.tools = (update.tools ?? []).map((tool) => toPersistedTool(tool as Record<string, unknown>));
  return next;
}

/** The AgentSession object. */
export function toSessionObject(record: AgentSessionRecord): Record<string, unknown> {
  const state = withoutPrivateKeys(record.state);
  return {
    id: record.id,
    object: 'agent.session',
    agent: { ...(state.agent as Record<string, unknown>), tools: redactAgentTools((state.agent as Record<string, unknown> | undefined)?.tools) },
    created_at: toUnixSeconds(record.created_at),
    environment: state.environment ?? { type: 'none' },
    error: state.error ?? null,
    last_active_at: toUnixSeconds(record.last_active_at),
    metadata: state.metadata ?? {},
    required_actions: state.required_actions ?? [],
    status: record.status,
    usage: state.usage ?? null,
    vault_ids: state.vault_ids ?? [],
    review: state.review ?? 'none',
    ...(state.prompt_cache_options === undefined ? {} : { prompt_cache_options: state.prompt_cache_options }),
    ...(state.spend_control === undefined ? {} : { spend_control: state.spend_control }),
  };
}

/** The agent-shaped token usage (TokenUsage). */
export interface AgentTokenUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** `total` plus a Responses turn's usage (null adds nothing). */
export function addUsage(total: AgentTokenUsage | null, usage: ResponseUsage | null | undefined): AgentTokenUsage | null {
  if (usage === null || usage === undefined) return total;
  const base = total ?? {
    input_tokens: 0,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 0,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 0,
  };
  return {
    input_tokens: base.input_tokens + usage.input_tokens,
    input_tokens_details: { cached_tokens: base.input_tokens_details.cached_tokens + (usage.input_tokens_details?.cached_tokens ?? 0) },
    output_tokens: base.output_tokens + usage.output_tokens,
    output_tokens_details: { reasoning_tokens: base.output_tokens_details.reasoning_tokens + (usage.output_tokens_details?.reasoning_tokens ?? 0) },
    total_tokens: base.total_tokens + usage.total_tokens,
  };
}

/** The Turn object, from what a turn record keeps. */
export function toTurnObject(record: AgentTurnRecord): Record<string, unknown> {
  return withoutPrivateKeys(record.turn);
}
