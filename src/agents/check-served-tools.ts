// Which agent tools a session runs: function tools (answered by the client) and MCP tools over HTTP from the service's
// network (run by Crossway, governed as the Responses mcp tool). Other tool types, stdio transports and connections
// from an environment need what Crossway does not run (a sandbox, a browser): refused with a 400 naming the field.
import { isMcpHeaderValue } from '../mcp/index.ts';
import { excerpt, InvalidRequestError } from '../wire/index.ts';

/** Throws a 400 naming the first tool (or tool field) a session cannot run. */
export function checkServedTools(tools: unknown, param: string): void {
  const list = Array.isArray(tools) ? (tools as Record<string, unknown>[]) : [];
  list.forEach((tool, index) => {
    if (tool.type === 'function') return;
    if (tool.type === 'mcp') {
      const transport = (tool.transport ?? {}) as Record<string, unknown>;
      if (transport.type !== 'http')
        throw new InvalidRequestError(
          `Invalid value for '${param}[${index}].transport.type': '${excerpt(String(transport.type), 64)}' MCP transports are not served ` +
            'by Crossway (it runs no local processes); use {"type": "http", "server_url": ...}.',
          `${param}[${index}].transport.type`,
        );
      if (tool.connection_origin !== undefined && tool.connection_origin !== null && tool.connection_origin !== 'service')
        throw new InvalidRequestError(
          `Invalid value for '${param}[${index}].connection_origin': only 'service' is served (Crossway runs no environments).`,
          `${param}[${index}].connection_origin`,
        );
      checkTransportCredentials(transport, `${param}[${index}].transport`);
      return;
    }
    throw new InvalidRequestError(
      `Invalid value for '${param}[${index}].type': '${excerpt(String(tool.type), 64)}' tools are not served in agent sessions ` +
        'by Crossway; use function or mcp tools.',
      `${param}[${index}].type`,
    );
  });
}

/** Throws a 400 naming the first mcp tool whose credentials no request could carry (saved agents keep any tool type). */
export function checkAgentToolCredentials(tools: unknown, param: string): void {
  const list = Array.isArray(tools) ? (tools as Record<string, unknown>[]) : [];
  list.forEach((tool, index) => {
    if (tool.type === 'mcp' && typeof tool.transport === 'object' && tool.transport !== null) {
      checkTransportCredentials(tool.transport as Record<string, unknown>, `${param}[${index}].transport`);
    }
  });
}

/**
 * A transport's `headers` and `authorization` must be values a request can carry: a CR, LF or NUL in one would fail
 * only when a step calls the server, and fetch's error then quotes the credential. Refused here, without quoting it.
 */
function checkTransportCredentials(transport: Record<string, unknown>, param: string): void {
  const { headers, authorization } = transport;
  if (typeof authorization === 'string' && !isMcpHeaderValue(authorization)) {
    throw new InvalidRequestError(`Invalid value for '${param}.authorization': it may hold no control characters (CR, LF, NUL).`, `${param}.authorization`);
  }
  if (headers === null || typeof headers !== 'object') return;
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (typeof value === 'string' && !isMcpHeaderValue(value)) {
      throw new InvalidRequestError(
        `Invalid value for '${param}.headers.${excerpt(name, 64)}': it may hold no control characters (CR, LF, NUL).`,
        `${param}.headers`,
      );
    }
  }
}
