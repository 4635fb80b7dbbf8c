// The MCP part: the engine that lists and calls tools on MCP servers, the address guard, and the typed errors.
export * from './check-mcp-address.ts';
export * from './mcp-engine.ts';
export * from './mcp-errors.ts';
export * from './mcp-server-schemas.ts';
export * from './mcp-tool-rules.ts';
export * from './resolve-mcp-servers.ts';
export * from './seal-mcp-credentials.ts';
