// MCP servers registered in crossway.yaml (`mcp.servers`), looked up as the store's are: the same record, its
// credentials sealed as the admin API seals them, so that one resolution path (resolveMcpServers) serves both.
import type { McpServerConfig } from '../catalog/index.ts';
import type { McpServerRecord, Store } from '../store/index.ts';
import { parseMcpServerUrl } from './check-mcp-address.ts';
import { sealMcpHeaders } from './seal-mcp-credentials.ts';

/** The configured server of `tenant` labelled `label`, as a registered server's record; null when none. */
export function findConfiguredMcpServer(servers: readonly McpServerConfig[], tenant: string, label: string, key: Buffer): McpServerRecord | null {
  const server = servers.find((entry) => entry.tenant === tenant && entry.server_label === label);
  if (server === undefined) return null;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(server.headers ?? {})) headers[name.toLowerCase()] = value.reveal();
  if (server.authorization !== undefined) headers.authorization = `Bearer ${server.authorization.reveal()}`;
  return {
    id: `config:${label}`,
    tenant,
    label,
    // Like the admin API: http(s) only; an admin's file may name a private address.
    url: parseMcpServerUrl(server.url, 'mcp.servers', true).href,
    description: server.description ?? null,
    headers: sealMcpHeaders(headers, key, tenant, label),
    credential_id: server.credential_id ?? null,
    allowed_tools: server.allowed_tools ?? null,
    require_approval: server.require_approval ?? 'never',
    network: 'private',
    created_at: '',
    updated_at: '',
  };
}

/** Every configured server of `tenant`, as registered servers' records, by label. */
export function listConfiguredMcpServers(servers: readonly McpServerConfig[], tenant: string, key: Buffer): McpServerRecord[] {
  return servers
    .filter((entry) => entry.tenant === tenant)
    .map((entry) => findConfiguredMcpServer(servers, tenant, entry.server_label, key))
    .filter((record): record is McpServerRecord => record !== null)
    .sort((a, b) => a.label.localeCompare(b.label));
}

/** A lookup by label over crossway.yaml's servers first, then the store's; credentials from the store. */
export function createMcpServerLookup(
  servers: readonly McpServerConfig[],
  store: Pick<Store, 'findMcpServerByLabel' | 'getMcpCredential'>,
  key: Buffer,
): Pick<Store, 'findMcpServerByLabel' | 'getMcpCredential'> {
  return {
    findMcpServerByLabel: async (tenant, label) => findConfiguredMcpServer(servers, tenant, label, key) ?? store.findMcpServerByLabel(tenant, label),
    getMcpCredential: (tenant, id) => store.getMcpCredential(tenant, id),
  };
}
