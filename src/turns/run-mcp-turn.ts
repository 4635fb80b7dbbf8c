// A Responses turn with `mcp` tools, run by Crossway on any route: the servers' tools are listed (an `mcp_list_tools`
// item per server), offered to the model as function tools, and the calls the model makes are run (an `mcp_call` item
// each) and handed back to it, model -> tools -> model, up to a step bound; a call that needs approval pauses the turn
// with an `mcp_approval_request`, answered by an `mcp_approval_response` input item in a later request. Each model step
// is a real call through the planner and executor (runTurn), so policy, budgets and metering apply to every step.
import {
  createMcpServerLookup,
  deriveMcpCredentialKey,
  findMcpTools,
  type McpEngine,
  type McpToolDescription,
  type McpToolset,
  readMcpToolFacts,
  redactMcpTools,
  resolveMcpServers,
  toMcpCallItemError,
} from '../mcp/index.ts';
import type { CallContext, CallInfo } from '../calls/index.ts';
import type { TokenUsage } from '../metering/index.ts';
import type { McpCallLogEntry, TenantRecord } from '../store/index.ts';
import { createItemId } from '../runtime/index.ts';
import {
  ClientClosedError,
  InvalidRequestError,
  type ResponseCreateRequest,
  type ResponseError,
  type ResponseItem,
  type ResponseMcpApprovalRequestItem,
  type ResponseMcpApprovalResponseItem,
  type ResponseMcpCallItem,
  type ResponseMcpListToolsItem,
  type ResponseObject,
  type ResponseOutputItem,
  type ResponseTool,
  type ResponseUsage,
} from '../wire/index.ts';
import { type ResponseTurn, type TurnResult, turnResponse } from './response-turn.ts';
import { type RanTurn, runTurn } from './run-response-turn.ts';
import type { TurnServices } from './turn-services.ts';

/** Most model steps one turn makes: the loop model -> tools -> model ends here even if the model keeps calling. */
export const MAX_MCP_STEPS = 8;

type McpItem = ResponseMcpListToolsItem | ResponseMcpCallItem | ResponseMcpApprovalRequestItem;

/** True when the request offers an `mcp` tool: the turn then runs through runMcpTurn. */
export function usesMcpTools(request: Pick<ResponseCreateRequest, 'tools'>): boolean {
  return findMcpTools(request.tools).length > 0;
}

/** The turn as it is echoed and stored: its mcp tools without their credentials. */
export function redactMcpTurn(turn: ResponseTurn): ResponseTurn {
  return { ...turn, request: redactMcpTools(turn.request) };
}

/** A finished MCP turn, with its MCP operations for the request log. */
export interface McpRanTurn extends RanTurn {
  mcpCalls: McpCallLogEntry[];
}

/** One exposed tool: the function name the model sees, and the server tool it stands for. */
export interface ExposedMcpTool {
  functionName: string;
  toolset: McpToolset;
  tool: McpToolDescription;
}

/** A model step as the driver sees it: what runTurn or streamTurn produced, with the call's info when known. */
export interface McpStepResult extends TurnResult {
  info?: CallInfo;
  usage?: TokenUsage;
}

/** How the driver runs a model step and tells of the items it adds itself (listings, calls, approval requests). */
export interface McpTurnHooks {
  /** Runs one model step; `exposed` names the function tools that stand for MCP tools (their calls are the driver's). */
  runStep(turn: ResponseTurn, exposed: ReadonlySet<string>): Promise<McpStepResult>;
  /** An item the driver added to the output (not a model step's own items, which runStep already delivered). */
  added(item: ResponseItem): Promise<void>;
}

/** What the driver ends with: the output items in order, their summed usage, the last step, how it ended. */
export interface McpTurnOutcome {
  publicTurn: ResponseTurn;
  output: ResponseItem[];
  usage: ResponseUsage | null;
  status: ResponseObject['status'];
  error: ResponseError | null;
  last: McpStepResult;
  mcpCalls: McpCallLogEntry[];
}

/**
 * Runs the turn (not streaming). `turn` carries the request as the client sent it (credentials included, used only
 * to resolve the servers); the result's response and the turn to persist (`redactMcpTurn`) carry none.
 */
export async function runMcpTurn(services: TurnServices, context: CallContext, turn: ResponseTurn): Promise<McpRanTurn> {
  const outcome = await driveMcpTurn(services, context, turn, { runStep: (step) => runTurn(services, context, step), added: async () => {} });
  const { last } = outcome;
  const response = buildResponse(outcome);
  // runTurn always reports the call's info and usage (it throws instead of failing a step).
  const info = last.info as CallInfo;
  const usage = last.usage as TokenUsage;
  return { response, output: outcome.output, route: last.route, usageEventId: last.usageEventId, info, usage, mcpCalls: outcome.mcpCalls };
}

/**
 * The loop itself, for runMcpTurn and streamMcpTurn: lists, resolves answered approvals, then model steps and the MCP
 * calls they make, until an answer without a call, a call waiting for approval, a failed step, or the step bound.
 */
export async function driveMcpTurn(services: TurnServices, context: CallContext, turn: ResponseTurn, hooks: McpTurnHooks): Promise<McpTurnOutcome> {
  const engine = services.mcp;
  if (engine === undefined) throw new InvalidRequestError('MCP tools are not enabled on this gateway.', 'tools');
  // The turn's steps share one connection per server; a conversation's later turns too (until it idles out), else the
  // connections close with the turn.
  const scope = turn.conversationId === null ? `response:${turn.id}` : `conversation:${context.principal.tenant.id}:${turn.conversationId}`;
  try {
    return await driveMcpTurnSteps(services, context, turn, hooks, engine, scope);
  } finally {
    if (turn.conversationId === null) engine.closeScope(scope);
  }
}

async function driveMcpTurnSteps(
  services: TurnServices,
  context: CallContext,
  turn: ResponseTurn,
  hooks: McpTurnHooks,
  engine: McpEngine,
  scope: string,
): Promise<McpTurnOutcome> {
  const toolsets = await resolveTurnMcpServers(services, context.principal.tenant, turn.request.tools ?? []);
  const publicTurn = redactMcpTurn(turn);
  const output: ResponseItem[] = [];
  const notes: string[] = [];
  const mcpCalls: McpCallLogEntry[] = [];
  const record = async (item: McpItem) => {
    output.push(item as unknown as ResponseItem);
    await hooks.added(item as unknown as ResponseItem);
  };
  const log = (toolset: McpToolset, name: string, outcome: string) => {
    notes.push(`mcp ${toolset.label}.${name}: ${outcome}`);
    mcpCalls.push({ server_label: toolset.label, tool: name, outcome });
    services.logger.info({ request_id: context.requestId, mcp: { server_label: toolset.label, tool: name, outcome } }, 'mcp call');
  };

  // 1. The tools of each server: reused from a listing earlier in the chain, else listed now (an item in the output).
  const exposed = new Map<string, ExposedMcpTool>();
  for (const toolset of toolsets) {
    const earlier = findEarlierListing(turn.contextItems, toolset.label);
    let tools: McpToolDescription[];
    if (earlier !== null) {
      tools = earlier.tools.map((tool) => ({
        name: tool.name,
        description: tool.description ?? null,
        input_schema: tool.input_schema,
        annotations: tool.annotations ?? null,
      }));
    } else {
      tools = await engine.listTools(toolset.target, context.signal, scope);
      log(toolset, 'tools/list', `listed ${tools.length} tools`);
    }
    const visible = tools.filter((tool) => toolset.allows(readMcpToolFacts(tool)));
    if (earlier === null) await record({ type: 'mcp_list_tools', id: createItemId('mcpl'), server_label: toolset.label, tools: visible, error: null });
    for (const tool of visible) exposeMcpTool(exposed, toolset, tool);
  }
  const byLabel = new Map(toolsets.map((toolset) => [toolset.label, toolset]));

  // 2. Approvals the client answered: approved calls run now, denied ones are recorded as refused.
  const answered = new Set(
    [...turn.contextItems, ...turn.inputItems].flatMap((item) =>
      item.type === ('mcp_call' as string) ? [(item as unknown as ResponseMcpCallItem).approval_request_id] : [],
    ),
  );
  for (const response of turn.inputItems.filter((item) => item.type === ('mcp_approval_response' as string)) as unknown as ResponseMcpApprovalResponseItem[]) {
    if (answered.has(response.approval_request_id)) continue;
    const asked = [...turn.contextItems, ...turn.inputItems].find(
      (item) => item.type === ('mcp_approval_request' as string) && item.id === response.approval_request_id,
    ) as unknown as ResponseMcpApprovalRequestItem | undefined;
    if (asked === undefined) {
      throw new InvalidRequestError(`No mcp_approval_request with id '${response.approval_request_id}' in this conversation.`, 'input');
    }
    const toolset = byLabel.get(asked.server_label);
    if (toolset === undefined) throw new InvalidRequestError(`The approved call needs the mcp tool with server_label '${asked.server_label}'.`, 'tools');
    const call = { name: asked.name, arguments: asked.arguments, approvalRequestId: asked.id };
    if (!response.approve) {
      log(toolset, asked.name, 'denied');
      await record(refuseMcpCall(toolset, call, 'The call was not approved.'));
      continue;
    }
    await record(await runMcpCall(engine, toolset, exposedFor(exposed, toolset, asked.name), call, context.signal, log, scope));
  }

  // 3. The loop: model, then the MCP calls it made, until it answers without one, a call waits for approval, or the bound.
  const functionTools = [...exposed.values()].map(toMcpFunctionTool);
  let toolChoice = mapToolChoice(turn.request.tool_choice, exposed);
  const exposedNames: ReadonlySet<string> = new Set(exposed.keys());
  let last: McpStepResult | null = null;
  let usage: ResponseUsage | null = null;
  let status: ResponseObject['status'] = 'completed';
  let error: ResponseError | null = null;
  for (let step = 0; ; step++) {
    if (step === MAX_MCP_STEPS) {
      status = 'incomplete';
      notes.push(`mcp step bound (${MAX_MCP_STEPS}) reached`);
      break;
    }
    const stepTurn: ResponseTurn = {
      ...publicTurn,
      request: { ...publicTurn.request, tools: [...otherTools(publicTurn.request.tools), ...functionTools], tool_choice: toolChoice, stream: false },
      contextItems: toModelItems(turn.contextItems, exposed),
      inputItems: toModelItems([...turn.inputItems, ...output], exposed),
      notes: [...notes],
    };
    if (context.signal.aborted) throw new ClientClosedError();
    last = await hooks.runStep(stepTurn, exposedNames);
    usage = addUsage(usage, last.response.usage);
    notes.length = 0;
    // After the first step the model chooses freely: a forced tool would otherwise be called forever.
    toolChoice = 'auto';
    // The step's own items first (runStep delivered them), then the driver's for the MCP calls among them.
    const mcpCallsOfStep: { item: { arguments: string }; mapped: ExposedMcpTool }[] = [];
    let clientCalls = false;
    for (const item of last.output) {
      const mapped = item.type === 'function_call' ? exposed.get(item.name) : undefined;
      if (item.type === 'function_call' && mapped !== undefined) mcpCallsOfStep.push({ item, mapped });
      else {
        if (item.type === 'function_call') clientCalls = true;
        output.push(item);
      }
    }
    if (last.response.status === 'failed') {
      status = 'failed';
      error = last.response.error;
      break;
    }
    if (last.response.status === 'incomplete') {
      status = 'incomplete';
      break;
    }
    let waits = false;
    for (const { item, mapped } of mcpCallsOfStep) {
      const call = { name: mapped.tool.name, arguments: item.arguments, approvalRequestId: null };
      if (!mapped.toolset.allows(readMcpToolFacts(mapped.tool))) {
        log(mapped.toolset, mapped.tool.name, 'refused: not in allowed_tools');
        await record(refuseMcpCall(mapped.toolset, call, `The tool ${mapped.tool.name} is not allowed.`));
      } else if (mapped.toolset.needsApproval(readMcpToolFacts(mapped.tool))) {
        log(mapped.toolset, mapped.tool.name, 'approval requested');
        await record({
          type: 'mcp_approval_request',
          id: createItemId('mcpr'),
          server_label: mapped.toolset.label,
          name: mapped.tool.name,
          arguments: item.arguments,
        });
        waits = true;
      } else {
        await record(await runMcpCall(engine, mapped.toolset, mapped, call, context.signal, log, scope));
      }
    }
    if (mcpCallsOfStep.length === 0 || waits || clientCalls) break;
  }
  if (last === null) throw new InvalidRequestError('The MCP turn made no model call.', 'tools');
  return { publicTurn, output, usage, status, error, last, mcpCalls };
}

/** The mcp tools of a request resolved for the tenant (crossway.yaml's servers first, then the admin API's): shared by agent sessions. */
export function resolveTurnMcpServers(services: TurnServices, tenant: TenantRecord, tools: readonly ResponseTool[]): Promise<McpToolset[]> {
  const credentialKey = deriveMcpCredentialKey(services.compactionKey);
  const lookup = createMcpServerLookup(services.catalog.config.mcp.servers, services.store, credentialKey);
  return resolveMcpServers(lookup, tenant, tools, credentialKey);
}

/** The final Response object: the turn's, with every item of every step and the summed usage. */
export function buildResponse(outcome: Pick<McpTurnOutcome, 'publicTurn' | 'output' | 'usage' | 'status' | 'error'>): ResponseObject {
  return turnResponse(outcome.publicTurn, {
    status: outcome.status,
    output: outcome.output as unknown as ResponseOutputItem[],
    usage: outcome.usage,
    error: outcome.error,
    incomplete_details: null,
  });
}

/** Runs one call: an `mcp_call` item with its output, or with the typed error of its failure. */
export async function runMcpCall(
  engine: McpEngine,
  toolset: McpToolset,
  exposed: ExposedMcpTool | undefined,
  call: { name: string; arguments: string; approvalRequestId: string | null },
  signal: AbortSignal,
  log: (toolset: McpToolset, name: string, outcome: string) => void,
  /** Where the connection to the server is kept (McpEngine.callTool): the agent session, the Responses turn. */
  scope?: string,
): Promise<ResponseMcpCallItem> {
  const item: ResponseMcpCallItem = {
    type: 'mcp_call',
    id: createItemId('mcp'),
    server_label: toolset.label,
    name: call.name,
    arguments: call.arguments,
    approval_request_id: call.approvalRequestId,
    output: null,
    error: null,
    status: 'completed',
  };
  if (exposed === undefined || !toolset.allows(readMcpToolFacts(exposed.tool))) {
    log(toolset, call.name, 'refused: not in allowed_tools');
    return { ...refuseMcpCall(toolset, call, `The tool ${call.name} is not allowed.`), id: item.id };
  }
  let args: Record<string, unknown>;
  try {
    const parsed = JSON.parse(call.arguments === '' ? '{}' : call.arguments) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    args = parsed as Record<string, unknown>;
  } catch {
    log(toolset, call.name, 'failed: arguments are not a JSON object');
    return { ...item, status: 'failed', error: { type: 'mcp_protocol_error', code: -32602, message: 'The arguments are not a JSON object.' } };
  }
  try {
    const output = await engine.callTool(toolset.target, call.name, args, signal, scope);
    log(toolset, call.name, 'completed');
    return { ...item, output };
  } catch (error) {
    if (signal.aborted) throw new ClientClosedError();
    const itemError = toMcpCallItemError(error);
    log(toolset, call.name, `failed: ${itemError.type}`);
    return { ...item, status: 'failed', error: itemError };
  }
}

/** A call refused without reaching the server (not allowed, not approved): a failed `mcp_call` with a 403 error. */
export function refuseMcpCall(
  toolset: McpToolset,
  call: { name: string; arguments: string; approvalRequestId: string | null },
  message: string,
): ResponseMcpCallItem {
  return {
    type: 'mcp_call',
    id: createItemId('mcp'),
    server_label: toolset.label,
    name: call.name,
    arguments: call.arguments,
    approval_request_id: call.approvalRequestId,
    output: null,
    error: { type: 'http_error', code: 403, message },
    status: 'failed',
  };
}

/** The last mcp_list_tools item of `label` in the stored context (never the client's input: it cannot add tools). */
function findEarlierListing(items: readonly ResponseItem[], label: string): ResponseMcpListToolsItem | null {
  for (let index = items.length - 1; index >= 0; index--) {
    const item = items[index] as unknown as ResponseMcpListToolsItem;
    if (item.type === 'mcp_list_tools' && item.server_label === label && (item.error ?? null) === null) return item;
  }
  return null;
}

/** Names a tool for the model (adds it to `exposed`): its own name when free and valid, else `<label>__<name>` made valid. */
export function exposeMcpTool(exposed: Map<string, ExposedMcpTool>, toolset: McpToolset, tool: McpToolDescription): void {
  const clean = (text: string) => text.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
  let name = clean(tool.name);
  if (exposed.has(name) || name === '') name = clean(`${toolset.label}__${tool.name}`);
  if (exposed.has(name)) return;
  exposed.set(name, { functionName: name, toolset, tool });
}

function exposedFor(exposed: Map<string, ExposedMcpTool>, toolset: McpToolset, name: string): ExposedMcpTool | undefined {
  for (const entry of exposed.values()) if (entry.toolset === toolset && entry.tool.name === name) return entry;
  return undefined;
}

function functionNameOf(exposed: Map<string, ExposedMcpTool>, label: string, name: string): string {
  for (const entry of exposed.values()) if (entry.toolset.label === label && entry.tool.name === name) return entry.functionName;
  return name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'mcp_tool';
}

/** An exposed MCP tool as the function tool the model is offered. */
export function toMcpFunctionTool(entry: ExposedMcpTool): ResponseTool {
  const schema = entry.tool.input_schema;
  const parameters =
    typeof schema === 'object' && schema !== null && !Array.isArray(schema) ? (schema as Record<string, unknown>) : { type: 'object', properties: {} };
  return { type: 'function', name: entry.functionName, description: entry.tool.description ?? undefined, parameters, strict: false } as ResponseTool;
}

/** The request's tools other than mcp ones (function, custom... tools the client runs itself). */
function otherTools(tools: readonly ResponseTool[] | null | undefined): ResponseTool[] {
  return (tools ?? []).filter((tool) => tool.type !== 'mcp');
}

/** `tool_choice: {type: "mcp", server_label, name}` as the function that stands for it; `required` with no name. */
function mapToolChoice(choice: ResponseCreateRequest['tool_choice'], exposed: Map<string, ExposedMcpTool>): ResponseCreateRequest['tool_choice'] {
  if (choice === undefined || choice === null || typeof choice !== 'object' || choice.type !== 'mcp') return choice;
  const { server_label: label, name } = choice as { server_label?: unknown; name?: unknown };
  if (typeof name !== 'string') return 'required';
  const entry = [...exposed.values()].find((candidate) => candidate.toolset.label === label && candidate.tool.name === name);
  if (entry === undefined)
    throw new InvalidRequestError(`tool_choice names the tool '${name}', which the server '${String(label)}' does not expose.`, 'tool_choice');
  return { type: 'function', name: entry.functionName };
}

/** The items as the model sees them: each mcp_call a function call and its output; listings and approvals left out. */
function toModelItems(items: readonly ResponseItem[], exposed: Map<string, ExposedMcpTool>): ResponseItem[] {
  const model: ResponseItem[] = [];
  for (const item of items) {
    const type = item.type as string;
    if (type === 'mcp_call') {
      const call = item as unknown as ResponseMcpCallItem;
      const name = functionNameOf(exposed, call.server_label, call.name);
      model.push({ type: 'function_call', id: `fc_${call.id}`, call_id: call.id, name, arguments: call.arguments, status: 'completed' });
      const result = call.output ?? `The MCP call failed: ${JSON.stringify(call.error ?? null)}`;
      model.push({ type: 'function_call_output', id: `fco_${call.id}`, call_id: call.id, output: result, status: 'completed' });
    } else if (type === 'mcp_list_tools' || type === 'mcp_approval_request' || type === 'mcp_approval_response') {
    } else {
      model.push(item);
    }
  }
  return model;
}

function addUsage(sum: ResponseUsage | null, next: ResponseUsage | null): ResponseUsage | null {
  if (next === null) return sum;
  if (sum === null) return next;
  return {
    input_tokens: sum.input_tokens + next.input_tokens,
    input_tokens_details: {
      cached_tokens: sum.input_tokens_details.cached_tokens + next.input_tokens_details.cached_tokens,
      cache_write_tokens: sum.input_tokens_details.cache_write_tokens + next.input_tokens_details.cache_write_tokens,
    },
    output_tokens: sum.output_tokens + next.output_tokens,
    output_tokens_details: { reasoning_tokens: sum.output_tokens_details.reasoning_tokens + next.output_tokens_details.reasoning_tokens },
    total_tokens: sum.total_tokens + next.total_tokens,
  };
}
