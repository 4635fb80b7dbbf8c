// Which agent tools a session runs: function tools (answered by the client). MCP tools in sessions come later; other
// tool types need what Crossway does not run (a sandbox, a browser): refused with a 400 naming the tool.
import { excerpt, InvalidRequestError } from '../wire/index.ts';

/** Throws a 400 naming the first tool a session cannot run. */
export function checkServedTools(tools: unknown, param: string): void {
  const list = Array.isArray(tools) ? (tools as Record<string, unknown>[]) : [];
  list.forEach((tool, index) => {
    if (tool.type === 'function') return;
    if (tool.type === 'mcp')
      throw new InvalidRequestError(
        `Invalid value for '${param}[${index}]': MCP tools in agent sessions are not served yet by Crossway ` +
          `(server_label '${excerpt(String(tool.server_label ?? ''), 64)}'); use function tools.`,
        `${param}[${index}].type`,
      );
    throw new InvalidRequestError(
      `Invalid value for '${param}[${index}].type': '${excerpt(String(tool.type), 64)}' tools are not served in agent sessions ` +
        'by Crossway; use function tools.',
      `${param}[${index}].type`,
    );
  });
}
