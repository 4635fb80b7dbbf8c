// The MCP part: the engine that lists and calls tools on MCP servers over Streamable HTTP (McpEngine), the address
// guard, governance (resolveMcpServers: registered servers and inline URLs under the tenant's policy, allowed_tools and
// require_approval combined), credentials sealed at rest, the admin API's schemas, and the typed errors. Agent sessions
// use it as the Responses `mcp` tool does (turns/run-mcp-turn.ts): resolveMcpServers -> McpToolset per server, then
// engine.listTools(toolset.target) filtered by toolset.allows, and engine.callTool(...) when !toolset.needsApproval.
export * from './check-mcp-address.ts';
export * from './mcp-engine.ts';
export * from './mcp-errors.ts';
export * from './mcp-server-schemas.ts';
export * from './mcp-tool-rules.ts';
export * from './resolve-mcp-servers.ts';
export * from './seal-mcp-credentials.ts';
export * from './find-configured-mcp-server.ts';
export * from './mcp-credential-schemas.ts';
