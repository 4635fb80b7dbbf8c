// The admin API's bodies for MCP credentials (what an mcp tool's `credential_id` names) and the view it returns, which
// never carries a secret: only the credential's id, name, server URL and the names of the headers it sets.
import { z } from 'zod';
import type { McpCredentialRecord } from '../store/index.ts';
import { mcpHeadersSchema, mcpHeaderValueSchema } from './mcp-server-schemas.ts';

/** POST /admin/mcp-credentials. `tenant` is for the master key; an admin key registers for its own tenant. */
export const createMcpCredentialRequestSchema = z
  .strictObject({
    tenant: z.string().min(1).max(128).optional(),
    name: z.string().min(1).max(256),
    /** The one MCP server URL the credential may be sent to; without it, any server a tool names it for. */
    server_url: z.string().min(1).max(2048).optional(),
    headers: mcpHeadersSchema.optional(),
    /** An OAuth access token or API key: sent as `Authorization: Bearer <token>`. */
    authorization: mcpHeaderValueSchema.min(1).optional(),
  })
  .refine((input) => input.authorization !== undefined || Object.keys(input.headers ?? {}).length > 0, {
    message: 'a credential needs authorization or headers',
    path: ['authorization'],
  });
export type CreateMcpCredentialRequest = z.infer<typeof createMcpCredentialRequestSchema>;

/** What a credential's values are sealed for, besides the tenant: its id (a sealed value cannot move to another credential). */
export function mcpCredentialSealLabel(id: string): string {
  return `credential:${id}`;
}

/** A credential as the admin API shows it: everything but the values. */
export function toMcpCredentialView(record: McpCredentialRecord) {
  return {
    id: record.id,
    object: 'mcp_credential',
    tenant: record.tenant,
    name: record.name,
    server_url: record.server_url,
    credential_headers: Object.keys(record.headers).sort(),
    created_at: Math.floor(Date.parse(record.created_at) / 1000),
    updated_at: Math.floor(Date.parse(record.updated_at) / 1000),
  };
}
