// The rules for one MCP tool, over plain data: whether a server's `allowed_tools` exposes it, and whether a
// `require_approval` setting asks for approval before it runs. The admin's and the request's rules combine so that
// the stricter one wins: a tool must be allowed by both, and needs approval when either asks for it.
import type { McpAllowedTools, McpRequireApproval } from '../store/index.ts';

/** A tool as the rules see it: its name and whether the server marked it read-only (annotations.readOnlyHint). */
export interface McpToolFacts {
  name: string;
  readOnly: boolean;
}

/** The facts of a listed tool. */
export function readMcpToolFacts(tool: { name: string; annotations?: unknown }): McpToolFacts {
  const annotations = tool.annotations as { readOnlyHint?: unknown } | null | undefined;
  return { name: tool.name, readOnly: annotations?.readOnlyHint === true };
}

/** Whether `allowed` (null or absent: everything) exposes the tool. A filter's conditions must all hold. */
export function isMcpToolAllowed(allowed: McpAllowedTools | null | undefined, tool: McpToolFacts): boolean {
  if (allowed === null || allowed === undefined) return true;
  if (Array.isArray(allowed)) return allowed.includes(tool.name);
  if (allowed.tool_names !== undefined && !allowed.tool_names.includes(tool.name)) return false;
  if (allowed.read_only === true && !tool.readOnly) return false;
  return true;
}

type ApprovalFilter = { tool_names?: string[]; read_only?: boolean };

function matches(filter: ApprovalFilter | undefined, tool: McpToolFacts): boolean {
  if (filter === undefined) return false;
  if (filter.tool_names !== undefined && !filter.tool_names.includes(tool.name)) return false;
  if (filter.read_only !== undefined && filter.read_only !== tool.readOnly) return false;
  return filter.tool_names !== undefined || filter.read_only !== undefined;
}

/**
 * Whether a setting asks for approval of the tool. `fallback` is the answer for a filter that names the tool in
 * neither list, and for an absent setting (OpenAI: approval is required unless a setting says `never`).
 */
export function needsMcpApproval(setting: McpRequireApproval | null | undefined, tool: McpToolFacts, fallback = true): boolean {
  if (setting === null || setting === undefined) return fallback;
  if (setting === 'always') return true;
  if (setting === 'never') return false;
  if (matches(setting.always, tool)) return true;
  if (matches(setting.never, tool)) return false;
  return fallback;
}
