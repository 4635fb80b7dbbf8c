export * from './agent-mcp-tools.ts';
export * from './agent-items.ts';
export * from './agent-objects.ts';
export * from './agent-schemas.ts';
export * from './agent-sessions.ts';
export * from './agent-step.ts';
export * from './check-served-tools.ts';
export * from './session-event-streams.ts';
