// MCP credentials an admin registered for a tenant (what an mcp tool's `credential_id` names): the headers sent to an
// MCP server, sealed, held here and never returned by any API; optionally bound to one server URL.

/** One registered credential. */
export interface McpCredentialRecord {
  /** `mcpc_...`: what a tool's `credential_id` says. */
  id: string;
  tenant: string;
  /** A name for people (the admin's own). */
  name: string;
  /** The one server URL it may be sent to; null: any server of the tenant's tools. */
  server_url: string | null;
  /** The headers it adds (authorization included), each value sealed (seal-mcp-credentials.ts): never returned. */
  headers: Record<string, string>;
  created_at: string;
  updated_at: string;
}
