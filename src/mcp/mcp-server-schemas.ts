// The admin API's bodies for registered MCP servers (validated once, at the edge) and the view it returns, which never
// carries the credentials: only their id and the names of the headers that hold them.
import { z } from 'zod';
import type { McpServerRecord } from '../store/index.ts';

const labelSchema = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, underscores or dashes');
const toolNames = z.array(z.string().min(1).max(128)).max(256);
/** `allowed_tools`: a list of names or OpenAI's filter. */
export const mcpAllowedToolsSchema = z.union([toolNames, z.strictObject({ tool_names: toolNames.optional(), read_only: z.boolean().optional() })]);
/** `require_approval`: a word or OpenAI's per-tool filter. */
export const mcpRequireApprovalSchema = z.union([
  z.enum(['always', 'never']),
  z.strictObject({
    always: z.strictObject({ tool_names: toolNames.optional(), read_only: z.boolean().optional() }).optional(),
    never: z.strictObject({ tool_names: toolNames.optional(), read_only: z.boolean().optional() }).optional(),
  }),
]);
// A header value HTTP can carry: no control character but tab (RFC 9110, section 5.5). A CR, LF or NUL could never be
// sent, and fetch's error for one quotes the whole value, a credential (a zod regex failure quotes only the pattern).
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const HEADER_VALUE = /^[^\u0000-\u0008\u000a-\u001f\u007f]*$/;
/** A credential's value: 1 to 8 KiB of characters a header may carry. */
export const mcpHeaderValueSchema = z.string().max(8192).regex(HEADER_VALUE, 'must hold no control characters (CR, LF, NUL)');
/** Whether `value` may be sent as a header value (see HEADER_VALUE). */
export function isMcpHeaderValue(value: string): boolean {
  return HEADER_VALUE.test(value);
}
/** At most 32 headers of at most 8 KiB each; names as HTTP allows them, values without control characters. */
export const mcpHeadersSchema = z
  .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/), mcpHeaderValueSchema)
  .refine((headers) => Object.keys(headers).length <= 32, 'at most 32 headers');

const registrationFields = {
  url: z.string().min(1).max(2048),
  description: z.string().max(1024).nullish(),
  headers: mcpHeadersSchema.optional(),
  /** An OAuth access token: sent as `Authorization: Bearer <token>`, as the Responses `mcp` tool's `authorization`. */
  authorization: mcpHeaderValueSchema.min(1).optional(),
  credential_id: z.string().min(1).max(128).nullish(),
  allowed_tools: mcpAllowedToolsSchema.nullish(),
  require_approval: mcpRequireApprovalSchema.optional(),
};

/** POST /admin/mcp-servers. `tenant` is for the master key; an admin key registers for its own tenant. */
export const createMcpServerRequestSchema = z.strictObject({ server_label: labelSchema, tenant: z.string().min(1).max(128).optional(), ...registrationFields });
export type CreateMcpServerRequest = z.infer<typeof createMcpServerRequestSchema>;

/** PATCH /admin/mcp-servers/{id}: any field but the label and the tenant. */
export const patchMcpServerRequestSchema = z.strictObject({ ...registrationFields, url: registrationFields.url.optional() });
export type PatchMcpServerRequest = z.infer<typeof patchMcpServerRequestSchema>;

/** The headers a registration sends: its `headers` plus `authorization` as a bearer token. */
export function registrationHeaders(input: { headers?: Record<string, string>; authorization?: string }): Record<string, string> {
  const headers = { ...(input.headers ?? {}) };
  if (input.authorization !== undefined) headers.authorization = `Bearer ${input.authorization}`;
  return headers;
}

/** A registered server as the admin API shows it: everything but the credentials' values. */
export function toMcpServerView(record: McpServerRecord) {
  const configured = isConfiguredMcpServerId(record.id);
  return {
    id: record.id,
    object: 'mcp_server',
    // `configuration`: from crossway.yaml (`mcp.servers`), read-only here; `admin_api`: registered through this API.
    source: configured ? 'configuration' : 'admin_api',
    tenant: record.tenant,
    server_label: record.label,
    server_url: record.url,
    description: record.description,
    credential_id: record.credential_id,
    // Names only (`authorization`, `x-api-key`): what an admin needs to tell which credentials are set.
    credential_headers: Object.keys(record.headers).sort(),
    allowed_tools: record.allowed_tools,
    require_approval: record.require_approval,
    network: record.network,
    // A configured server has no time of its own (it is there while the configuration says so).
    created_at: configured ? null : Math.floor(Date.parse(record.created_at) / 1000),
    updated_at: configured ? null : Math.floor(Date.parse(record.updated_at) / 1000),
  };
}

/** Whether an id names a server of crossway.yaml (`config:<label>`, see findConfiguredMcpServer) rather than a stored one. */
export function isConfiguredMcpServerId(id: string): boolean {
  return id.startsWith('config:');
}
