// Governance of the Responses `mcp` tool, failing closed: each tool names a server the tenant's admin registered (its
// URL and credentials come from the store), or, only where the tenant's policy allows URLs, gives a `server_url` that
// is http(s) and never a loopback, private, link-local or metadata address (checked again on the resolved address when
// connecting). The admin's `allowed_tools` and `require_approval` bind every request; a request may narrow, never widen.
import { parseMcpServerUrl } from './check-mcp-address.ts';
import type { McpServerTarget } from './mcp-engine.ts';
import { McpServerRefusedError } from './mcp-errors.ts';
import { isMcpHeaderValue, mcpAllowedToolsSchema, mcpRequireApprovalSchema } from './mcp-server-schemas.ts';
import { isMcpToolAllowed, type McpToolFacts, needsMcpApproval } from './mcp-tool-rules.ts';
import { openMcpHeaders } from './seal-mcp-credentials.ts';
import { mcpCredentialSealLabel } from './mcp-credential-schemas.ts';
import type { McpAllowedTools, McpRequireApproval, Store, TenantRecord } from '../store/index.ts';
import { excerpt, InvalidRequestError, NotFoundError, type ResponseTool } from '../wire/index.ts';

/** Most mcp tools one request may offer. */
const MAX_MCP_SERVERS_PER_REQUEST = 8;

/** One server a request uses, resolved: where to reach it, and the combined rules for its tools. */
export interface McpToolset {
  label: string;
  target: McpServerTarget;
  registered: boolean;
  /**
   * The tool's `required` (Agents API): the server must be listed before the step; when it cannot be, the step fails.
   * Otherwise (the default) a server that cannot be listed is left out of the step with a recorded error.
   */
  required: boolean;
  /** Whether the tool is exposed (listed and callable): allowed by the admin and by the request. */
  allows(tool: McpToolFacts): boolean;
  /** Whether a call of the tool waits for the client's approval: the admin or the request asks for it. */
  needsApproval(tool: McpToolFacts): boolean;
}

/** The request's `mcp` tools, by position in `tools`. */
export function findMcpTools(tools: readonly ResponseTool[] | null | undefined): { index: number; tool: Record<string, unknown> }[] {
  return (tools ?? []).flatMap((tool, index) => (tool.type === 'mcp' ? [{ index, tool: tool as Record<string, unknown> }] : []));
}

/**
 * Resolves every `mcp` tool of the request for the tenant; 400/404 naming the tool for anything not allowed. A
 * registered server's credentials are opened with `credentialKey` (deriveMcpCredentialKey).
 */
export async function resolveMcpServers(
  store: Pick<Store, 'findMcpServerByLabel' | 'getMcpCredential'>,
  tenant: TenantRecord,
  tools: readonly ResponseTool[],
  credentialKey: Buffer,
): Promise<McpToolset[]> {
  const found = findMcpTools(tools);
  if (found.length > MAX_MCP_SERVERS_PER_REQUEST) {
    throw new InvalidRequestError(`A request may offer at most ${MAX_MCP_SERVERS_PER_REQUEST} mcp tools.`, 'tools');
  }
  const labels = new Set<string>();
  const toolsets: McpToolset[] = [];
  for (const { index, tool } of found) {
    const param = `tools[${index}]`;
    const label = tool.server_label;
    if (typeof label !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(label)) {
      throw new InvalidRequestError('An mcp tool needs a server_label of 1-64 letters, digits, underscores or dashes.', `${param}.server_label`);
    }
    if (labels.has(label)) throw new InvalidRequestError(`Two mcp tools use the server_label '${label}'.`, `${param}.server_label`);
    labels.add(label);
    if (tool.connector_id !== undefined && tool.connector_id !== null) {
      throw new InvalidRequestError('Connectors are not served by Crossway: register the MCP server with an admin instead.', `${param}.connector_id`);
    }
    const requestAllowed = parseField(mcpAllowedToolsSchema, tool.allowed_tools, `${param}.allowed_tools`);
    const requestApproval = parseField(mcpRequireApprovalSchema, tool.require_approval, `${param}.require_approval`);
    const requestHeaders = readRequestHeaders(tool, param);
    const registered = await store.findMcpServerByLabel(tenant.id, label);
    let target: McpServerTarget;
    let adminAllowed: McpAllowedTools | null = null;
    let adminApproval: McpRequireApproval = 'never';
    if (registered !== null) {
      if (typeof tool.server_url === 'string' && tool.server_url !== registered.url) {
        throw new McpServerRefusedError(`The server_label '${label}' names a registered MCP server: leave server_url out.`, `${param}.server_url`);
      }
      // The admin's credentials win over any the request sends under the same name.
      target = {
        tenant: tenant.id,
        label,
        url: registered.url,
        headers: { ...requestHeaders, ...openMcpHeaders(registered.headers, credentialKey, tenant.id, label) },
        // Only a server the operator registered may be on a private address; a tenant admin's is guarded as inline URLs are.
        allowPrivateAddress: registered.network === 'private',
      };
      adminAllowed = registered.allowed_tools;
      adminApproval = registered.require_approval;
    } else if (typeof tool.server_url !== 'string') {
      throw new NotFoundError(`No MCP server labelled '${excerpt(label)}' is registered for this tenant.`, 'mcp_server_not_found', `${param}.server_label`);
    } else {
      if (tenant.policy.mcp_server_urls !== 'allow') {
        throw new McpServerRefusedError(
          "This tenant's policy allows only MCP servers an admin registered (mcp_server_urls: deny): ask an admin to register it.",
          `${param}.server_url`,
        );
      }
      const url = parseMcpServerUrl(tool.server_url, `${param}.server_url`, false);
      target = { tenant: tenant.id, label, url: url.href, headers: requestHeaders, allowPrivateAddress: false };
    }
    if (tool.credential_id !== undefined && tool.credential_id !== null) {
      target = { ...target, headers: await addCredential(store, tenant, target, tool.credential_id, `${param}.credential_id`, credentialKey, registered) };
    }
    if (tool.required !== undefined && tool.required !== null && typeof tool.required !== 'boolean') {
      throw new InvalidRequestError('required must be a boolean.', `${param}.required`);
    }
    const isRegistered = registered !== null;
    toolsets.push({
      label,
      target,
      registered: isRegistered,
      required: tool.required === true,
      allows: (facts) => isMcpToolAllowed(adminAllowed, facts) && isMcpToolAllowed(requestAllowed, facts),
      // Without a word from the request, an inline server's calls wait for approval (OpenAI's default); a registered
      // server's follow its admin.
      needsApproval: (facts) => needsMcpApproval(adminApproval, facts, false) || needsMcpApproval(requestApproval, facts, !isRegistered),
    });
  }
  return toolsets;
}

/**
 * The target's headers with the registered credential `id` of the tenant added: over the tool's own headers, under a
 * registered server's (the admin's registration wins). 400 naming `param` for an unknown id or a credential bound to
 * another server's URL.
 */
async function addCredential(
  store: Pick<Store, 'getMcpCredential'>,
  tenant: TenantRecord,
  target: McpServerTarget,
  id: unknown,
  param: string,
  credentialKey: Buffer,
  registered: { headers: Record<string, string> } | null,
): Promise<Record<string, string>> {
  if (typeof id !== 'string' || id.length === 0 || id.length > 128) throw new InvalidRequestError('credential_id must be a string of 1-128 characters.', param);
  const credential = await store.getMcpCredential(tenant.id, id);
  if (credential === null) {
    throw new InvalidRequestError(`No MCP credential '${excerpt(id)}' is registered for this tenant.`, param, 'mcp_credential_not_found');
  }
  if (credential.server_url !== null && credential.server_url !== target.url) {
    throw new InvalidRequestError(`The MCP credential '${excerpt(id)}' is for another server_url.`, param, 'mcp_credential_mismatch');
  }
  const opened = openMcpHeaders(credential.headers, credentialKey, tenant.id, mcpCredentialSealLabel(credential.id));
  // The registration's own headers (opened into target.headers last) keep winning over the credential's.
  const own = registered === null ? {} : Object.fromEntries(Object.keys(registered.headers).map((name) => [name, target.headers[name] as string]));
  return { ...target.headers, ...opened, ...own };
}

/** The request's tools with every credential (`headers`, `authorization`) taken out of its mcp tools: what is echoed and stored. */
export function redactMcpTools<T extends { tools?: readonly ResponseTool[] | null }>(request: T): T {
  if (request.tools === undefined || request.tools === null || !request.tools.some((tool) => tool.type === 'mcp')) return request;
  const tools = request.tools.map((tool) => {
    if (tool.type !== 'mcp') return tool;
    const { headers: _headers, authorization: _authorization, ...rest } = tool as Record<string, unknown>;
    return rest as ResponseTool;
  });
  return { ...request, tools };
}

function parseField<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }, value: unknown, param: string): T | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidRequestError(`Invalid value for '${param}'.`, param);
  return parsed.data;
}

/** The request's own credentials for an inline server: `headers` (at most 32, 8 KiB each) and `authorization` as a bearer token. */
function readRequestHeaders(tool: Record<string, unknown>, param: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (tool.headers !== undefined && tool.headers !== null) {
    if (typeof tool.headers !== 'object' || Array.isArray(tool.headers))
      throw new InvalidRequestError('headers must be an object of strings.', `${param}.headers`);
    const entries = Object.entries(tool.headers as Record<string, unknown>);
    if (entries.length > 32) throw new InvalidRequestError('At most 32 headers.', `${param}.headers`);
    for (const [name, value] of entries) {
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/.test(name) || typeof value !== 'string' || value.length > 8192 || !isMcpHeaderValue(value)) {
        throw new InvalidRequestError('headers must map header names to strings of at most 8192 characters without control characters.', `${param}.headers`);
      }
      headers[name.toLowerCase()] = value;
    }
  }
  if (tool.authorization !== undefined && tool.authorization !== null) {
    if (typeof tool.authorization !== 'string' || tool.authorization.length > 8192 || !isMcpHeaderValue(tool.authorization)) {
      throw new InvalidRequestError('authorization must be a string of at most 8192 characters without control characters.', `${param}.authorization`);
    }
    headers.authorization = `Bearer ${tool.authorization}`;
  }
  return headers;
}
