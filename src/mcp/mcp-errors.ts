// The failures of MCP work, one class each with a stable code, and their shape as an `mcp_call` item's typed error.
import { CrosswayError, InvalidRequestError } from '../wire/index.ts';

/** Base of every failure of a call to an MCP server (424: a dependency the request named failed, as OpenAI answers). */
export class McpError extends CrosswayError {
  override name = 'McpError';
  constructor(message: string, code: string, cause?: unknown) {
    super(message, { code, status: 424, type: 'server_error', cause });
  }
}

/** The server could not be reached (DNS, connection refused, TLS) or answered an HTTP error. */
export class McpServerUnreachableError extends McpError {
  override name = 'McpServerUnreachableError';
  /** The HTTP status the server answered, or 0 when no answer came. */
  readonly httpStatus: number;
  constructor(message: string, httpStatus = 0, cause?: unknown) {
    super(message, 'mcp_server_unreachable', cause);
    this.httpStatus = httpStatus;
  }
}

/** The server did not answer within the bound. */
export class McpTimeoutError extends McpError {
  override name = 'McpTimeoutError';
  constructor(message: string, cause?: unknown) {
    super(message, 'mcp_timeout', cause);
  }
}

/** The tool ran and reported a failure (`isError: true`); `content` is what it said. */
export class McpToolError extends McpError {
  override name = 'McpToolError';
  readonly content: unknown;
  constructor(message: string, content: unknown) {
    super(message, 'mcp_tool_error');
    this.content = content;
  }
}

/** The server broke the protocol (a JSON-RPC error, a malformed or oversized answer). */
export class McpProtocolError extends McpError {
  override name = 'McpProtocolError';
  readonly rpcCode: number;
  constructor(message: string, rpcCode: number, cause?: unknown) {
    super(message, 'mcp_protocol_error', cause);
    this.rpcCode = rpcCode;
  }
}

/** A server the request may not use: a forbidden address, a scheme other than http(s), an unknown label (400). */
export class McpServerRefusedError extends InvalidRequestError {
  override name = 'McpServerRefusedError';
  constructor(message: string, param: string | null) {
    super(message, param, 'mcp_server_refused');
  }
}

/** The typed error of an `mcp_call` item, as the OpenAI types declare it (McpToolCallError). */
export type McpCallItemError =
  | { type: 'mcp_protocol_error'; code: number; message: string }
  | { type: 'mcp_tool_execution_error'; content: unknown }
  | { type: 'http_error'; code: number; message: string };

/** The item error of a failure; anything unexpected is a protocol error with a generic message (no internals leak). */
export function toMcpCallItemError(error: unknown): McpCallItemError {
  if (error instanceof McpToolError) return { type: 'mcp_tool_execution_error', content: error.content };
  if (error instanceof McpServerUnreachableError) return { type: 'http_error', code: error.httpStatus, message: error.message };
  if (error instanceof McpTimeoutError) return { type: 'http_error', code: 504, message: error.message };
  if (error instanceof McpProtocolError) return { type: 'mcp_protocol_error', code: error.rpcCode, message: error.message };
  if (error instanceof CrosswayError) return { type: 'mcp_protocol_error', code: -32603, message: error.message };
  return { type: 'mcp_protocol_error', code: -32603, message: 'The MCP call failed.' };
}
