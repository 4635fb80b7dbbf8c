// MCP tools in agent sessions: the agent's `mcp` tools (the Agents API's shape) as the Responses `mcp` tools that the
// shared governance resolves (turns/run-mcp-turn.ts), their tools listed once per session, and the session items and
// required actions of calls, approvals included. Credentials of inline tools are never published.
import { LRUCache } from 'lru-cache';
import type { Principal } from '../calls/index.ts';
import { deriveMcpCredentialKey, McpError, type McpToolDescription, openMcpHeaders, readMcpToolFacts, sealMcpHeaders } from '../mcp/index.ts';
import { createItemId } from '../runtime/index.ts';
import { type ExposedMcpTool, exposeMcpTool, resolveTurnMcpServers, type TurnServices } from '../turns/index.ts';
import { type CrosswayError, InvalidRequestError, type ResponseMcpCallItem, type ResponseTool } from '../wire/index.ts';

/** The private key of an mcp_call item waiting for (or given) the client's approval. */
export const APPROVAL_KEY = 'crossway_approval';

/** An approval as an item keeps it: the request's id and the client's decision (null while it waits). */
export interface McpApprovalState {
  request_id: string;
  decision: 'approve' | 'deny' | 'cancel' | null;
}

/** The private key of an mcp tool's transport holding its credentials, sealed (never stored readable). */
const SEALED_KEY = 'crossway_sealed_headers';

/** What a sealed credential is bound to, besides the tenant: an agent tool's server label (not a registered server's). */
const sealLabel = (label: unknown) => `agent-tool:${String(label)}`;

/**
 * The agent's tools as stored: an mcp tool's `headers` and `authorization` sealed (as the admin API seals a registered
 * server's) under a private key of its transport; tools already sealed and other tools unchanged.
 */
export function sealAgentTools<T>(tools: T, installationKey: Buffer, tenant: string): T {
  if (!Array.isArray(tools)) return tools;
  return (tools as Record<string, unknown>[]).map((tool) => {
    if (tool.type !== 'mcp' || typeof tool.transport !== 'object' || tool.transport === null) return tool;
    const { headers, authorization, ...transport } = tool.transport as Record<string, unknown>;
    if ((headers === undefined || headers === null) && (authorization === undefined || authorization === null)) return tool;
    const plain: Record<string, string> = {};
    for (const [name, value] of Object.entries((headers ?? {}) as Record<string, unknown>)) plain[name.toLowerCase()] = String(value);
    if (typeof authorization === 'string') plain.authorization = `Bearer ${authorization}`;
    const sealed = sealMcpHeaders(plain, deriveMcpCredentialKey(installationKey), tenant, sealLabel(tool.server_label));
    return { ...tool, transport: { ...transport, [SEALED_KEY]: sealed } };
  }) as T;
}

/**
 * The agent's mcp tools, each as the Responses `mcp` tool the governance resolves (server_url from the http transport,
 * sealed credentials opened with the installation key).
 */
export function toResponsesMcpTools(tools: unknown, installationKey?: Buffer, tenant?: string): ResponseTool[] {
  const list = Array.isArray(tools) ? (tools as Record<string, unknown>[]) : [];
  return list
    .filter((tool) => tool.type === 'mcp')
    .map((tool) => {
      const transport = (tool.transport ?? {}) as Record<string, unknown>;
      const sealed = transport[SEALED_KEY] as Record<string, string> | undefined;
      const opened =
        sealed === undefined || installationKey === undefined || tenant === undefined
          ? undefined
          : openMcpHeaders(sealed, deriveMcpCredentialKey(installationKey), tenant, sealLabel(tool.server_label));
      return {
        type: 'mcp',
        server_label: tool.server_label,
        server_url: transport.server_url,
        ...(transport.headers === undefined || transport.headers === null ? {} : { headers: transport.headers }),
        ...(opened === undefined ? {} : { headers: opened }),
        ...(transport.authorization === undefined || transport.authorization === null ? {} : { authorization: transport.authorization }),
        ...(tool.allowed_tools === undefined || tool.allowed_tools === null ? {} : { allowed_tools: tool.allowed_tools }),
        // The agent types carry no require_approval: without it, the registered server's admin decides (inline: always).
        ...(tool.require_approval === undefined || tool.require_approval === null ? {} : { require_approval: tool.require_approval }),
        // A registered credential (POST /admin/mcp-credentials) by id, and whether the server must be listed for a step.
        ...(tool.credential_id === undefined || tool.credential_id === null ? {} : { credential_id: tool.credential_id }),
        ...(tool.required === true ? { required: true } : {}),
      } as unknown as ResponseTool;
    });
}

/** The agent's tools as published (agent, session, events): an mcp tool's transport without `headers` and `authorization`. */
export function redactAgentTools(tools: unknown): unknown {
  if (!Array.isArray(tools)) return tools;
  return (tools as Record<string, unknown>[]).map((tool) => {
    if (tool.type !== 'mcp' || typeof tool.transport !== 'object' || tool.transport === null) return tool;
    const { headers: _headers, authorization: _authorization, [SEALED_KEY]: _sealed, ...transport } = tool.transport as Record<string, unknown>;
    return { ...tool, transport };
  });
}

/** The engine's connection scope of a session: its MCP connections are kept across its steps and turns. */
export function agentMcpScope(sessionId: string): string {
  return `agent-session:${sessionId}`;
}

/** Sessions whose tool lists are kept, and for how long: a session lists each server once while it stays in use. */
const MAX_LISTED_SESSIONS = 4096;
const LISTING_TTL_MS = 60 * 60_000;

/**
 * How long a server that could not be listed is not asked again by the same session: the steps of a turn then skip
 * (or, `required`, fail on) it at once instead of each waiting out the engine's timeout.
 */
const FAILED_LISTING_TTL_MS = 60_000;

/** Each session's MCP tool lists, by session and server label (one per gateway; bounded in entries and time). */
export class AgentMcpListings {
  readonly #lists = new LRUCache<string, McpToolDescription[]>({ max: MAX_LISTED_SESSIONS, ttl: LISTING_TTL_MS });
  readonly #failures = new LRUCache<string, McpError>({ max: MAX_LISTED_SESSIONS, ttl: FAILED_LISTING_TTL_MS });

  /** The server's tools for the session: listed by the engine the first time, then reused; a failure is kept a minute. */
  async get(services: TurnServices, sessionId: string, toolset: Parameters<typeof exposeMcpTool>[1], signal: AbortSignal): Promise<McpToolDescription[]> {
    const key = JSON.stringify([sessionId, toolset.label, toolset.target.url]);
    const cached = this.#lists.get(key);
    if (cached !== undefined) return cached;
    const failed = this.#failures.get(key);
    if (failed !== undefined) throw failed;
    if (services.mcp === undefined) throw new InvalidRequestError('MCP tools are not enabled on this gateway.', 'tools');
    let tools: McpToolDescription[];
    try {
      tools = await services.mcp.listTools(toolset.target, signal, agentMcpScope(sessionId));
    } catch (error) {
      // The server's own failure is kept; a cancelled step says nothing about the server.
      if (error instanceof McpError && !signal.aborted) this.#failures.set(key, error);
      throw error;
    }
    this.#lists.set(key, tools);
    return tools;
  }
}

/** A server left out of a step: optional (not `required`) and its tools could not be listed. */
export interface SkippedMcpServer {
  label: string;
  error: CrosswayError;
}

/**
 * The MCP tools a step offers, by the function name the model sees (empty when the agent has none), and the optional
 * servers left out because they could not be listed. A `required` server that cannot be listed fails the step.
 */
export async function exposeAgentMcpTools(
  services: TurnServices,
  listings: AgentMcpListings,
  principal: Principal,
  sessionId: string,
  agent: Record<string, unknown>,
  signal: AbortSignal,
): Promise<{ exposed: Map<string, ExposedMcpTool>; skipped: SkippedMcpServer[] }> {
  const exposed = new Map<string, ExposedMcpTool>();
  const skipped: SkippedMcpServer[] = [];
  const tools = toResponsesMcpTools(agent.tools, services.compactionKey, principal.tenant.id);
  if (tools.length === 0) return { exposed, skipped };
  for (const toolset of await resolveTurnMcpServers(services, principal.tenant, tools)) {
    let listed: McpToolDescription[];
    try {
      listed = await listings.get(services, sessionId, toolset, signal);
    } catch (error) {
      // Only a failure of the server itself is skipped; a cancelled step or a refusal of governance is not.
      if (toolset.required || !(error instanceof McpError) || signal.aborted) throw error;
      skipped.push({ label: toolset.label, error });
      continue;
    }
    for (const tool of listed) if (toolset.allows(readMcpToolFacts(tool))) exposeMcpTool(exposed, toolset, tool);
  }
  return { exposed, skipped };
}

/** A Responses mcp_call as the session's item (AgentMcpCallItem), keeping the model's call for replay. */
export function toAgentMcpCallItem(
  call: ResponseMcpCallItem,
  turnId: string,
  source: Record<string, unknown>,
  approval: McpApprovalState | null,
): Record<string, unknown> {
  return {
    id: call.id,
    type: 'mcp_call',
    server_label: call.server_label,
    name: call.name,
    arguments: call.arguments,
    output: call.output ?? null,
    error: call.error ?? null,
    status: approval !== null && approval.decision === null ? 'in_progress' : call.status === 'failed' ? 'failed' : 'completed',
    turn_id: turnId,
    crossway_item: source,
    ...(approval === null ? {} : { [APPROVAL_KEY]: approval }),
  };
}

/** A call that waits for approval, as the session's item: in progress, no output yet. */
export function toPendingMcpCallItem(server: string, name: string, args: string, turnId: string, source: Record<string, unknown>): Record<string, unknown> {
  const call = { type: 'mcp_call', id: createItemId('mcp'), server_label: server, name, arguments: args, output: null, error: null, status: 'completed' };
  return toAgentMcpCallItem(call as ResponseMcpCallItem, turnId, source, { request_id: createItemId('mcpr'), decision: null });
}

/** The approval state of an item, or null. */
export function readApproval(item: Record<string, unknown>): McpApprovalState | null {
  const approval = item[APPROVAL_KEY] as McpApprovalState | undefined;
  return approval ?? null;
}

/** The turn's calls still waiting for a decision, as required actions (SessionRequiredActionResourceMcpApprovalRequest). */
export function findPendingApprovals(items: readonly Record<string, unknown>[], turnId: string): Record<string, unknown>[] {
  return items.flatMap((item) => {
    const approval = item.type === 'mcp_call' && item.turn_id === turnId ? readApproval(item) : null;
    if (approval === null || approval.decision !== null) return [];
    let args: unknown = null;
    try {
      args = JSON.parse(String(item.arguments));
    } catch {}
    const request = {
      type: 'mcp_tool_call',
      server_label: item.server_label,
      name: item.name,
      arguments: args,
      message: `Allow the tool ${String(item.name)} on the MCP server ${String(item.server_label)} to run?`,
    };
    return [{ type: 'mcp_approval_request', request_id: approval.request_id, turn_id: turnId, request }];
  });
}
