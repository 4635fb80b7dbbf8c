// MCP servers an admin registered for a tenant, as the store keeps them: where the server is, the credentials sent to
// it (held here, never returned by any API), and the tenant's rules for its tools.

/** Which tools a server exposes: a list of names, or OpenAI's filter (`tool_names`, `read_only`). */
export type McpAllowedTools = string[] | { tool_names?: string[]; read_only?: boolean };

/** Which calls need approval: a word, or OpenAI's filter (`always` / `never` each with `tool_names`). */
export type McpRequireApproval = 'always' | 'never' | { always?: McpToolNameFilter; never?: McpToolNameFilter };

/** Tools by name and/or by whether the server marked them read-only. */
export interface McpToolNameFilter {
  tool_names?: string[];
  read_only?: boolean;
}

/** One registered server. */
export interface McpServerRecord {
  /** `mcps_...`. */
  id: string;
  tenant: string;
  /** The `server_label` requests name it by; unique per tenant. */
  label: string;
  url: string;
  description: string | null;
  /** Headers sent on every request to the server (authorization included): credentials, never returned. */
  headers: Record<string, string>;
  /** Names the credentials for the tenant's own records (what `credential_id` in a tool refers to); never the secret. */
  credential_id: string | null;
  /** Null: every tool the server lists. */
  allowed_tools: McpAllowedTools | null;
  /** The admin's rule; a request may ask for more approval, never less. */
  require_approval: McpRequireApproval;
  /**
   * `private`: the operator (master key, crossway.yaml) registered it, and it may be on a loopback, private or
   * link-local address; `public`: a tenant's admin key did, and every connection is checked like an inline URL's.
   */
  network: 'public' | 'private';
  created_at: string;
  updated_at: string;
}

/** What an update may change. */
export type McpServerPatch = Partial<
  Pick<McpServerRecord, 'url' | 'description' | 'headers' | 'credential_id' | 'allowed_tools' | 'require_approval' | 'network' | 'updated_at'>
>;
