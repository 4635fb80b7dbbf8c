// A real MCP server for tests: the official server SDK over Streamable HTTP on 127.0.0.1, with tools that answer,
// fail, hang, and a record of the headers and JSON-RPC methods each request brought (to check that credentials reached
// it, and how often a client initialized). Stateless by default; with `sessions`, it keeps MCP sessions
// (`mcp-session-id`) and can expire them all, as a server restart would (a request of an expired session is a 404).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { z } from 'zod';

/** A running test server. */
export interface TestMcpServer {
  url: string;
  /** Headers of every request received, oldest first. */
  headers: IncomingHttpHeaders[];
  /** Names of the tools called, in order. */
  calls: string[];
  /** JSON-RPC methods of the requests received (`initialize`, `tools/list`, `tools/call`, ...), in order. */
  methods: string[];
  /** MCP sessions open (with `sessions` only). */
  sessionCount(): number;
  /** Forgets every MCP session: their next requests are answered 404 (with `sessions` only). */
  expireSessions(): void;
  close(): Promise<void>;
}

/** Starts the server: tools get_weather (answers), secret_lookup (answers), broken_tool (fails), slow_tool (never answers). */
export async function startTestMcpServer(options: { sessions?: boolean } = {}): Promise<TestMcpServer> {
  const headers: IncomingHttpHeaders[] = [];
  const calls: string[] = [];
  const methods: string[] = [];
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const hanging = new Set<() => void>();
  const build = () => {
    const server = new McpServer({ name: 'crossway-test', version: '1.0.0' });
    server.registerTool('get_weather', { description: 'The weather in a city.', inputSchema: z.object({ city: z.string() }) }, async ({ city }) => {
      calls.push('get_weather');
      return { content: [{ type: 'text', text: `Sunny and 21 degrees in ${city}` }] };
    });
    server.registerTool('secret_lookup', { description: 'Looks up a secret.', inputSchema: z.object({ key: z.string() }) }, async () => {
      calls.push('secret_lookup');
      return { content: [{ type: 'text', text: 'the secret is 42' }] };
    });
    server.registerTool('broken_tool', { description: 'Always fails.', inputSchema: z.object({ input: z.string() }) }, async () => {
      calls.push('broken_tool');
      return { isError: true, content: [{ type: 'text', text: 'database is down' }] };
    });
    server.registerTool('slow_tool', { description: 'Never answers.', inputSchema: z.object({ input: z.string() }) }, async () => {
      calls.push('slow_tool');
      await new Promise<void>((resolve) => hanging.add(resolve));
      return { content: [{ type: 'text', text: 'late' }] };
    });
    return server;
  };
  const http = createServer(async (req, res) => {
    headers.push(req.headers);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    try {
      const message = JSON.parse(body.toString('utf8')) as { method?: unknown } | { method?: unknown }[];
      for (const entry of Array.isArray(message) ? message : [message]) if (typeof entry.method === 'string') methods.push(entry.method);
    } catch {
      // Not JSON (a GET or DELETE): no method.
    }
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: Object.entries(req.headers).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value] as [string, string]] : [])),
      ...(body.length > 0 ? { body } : {}),
    });
    let transport: WebStandardStreamableHTTPServerTransport;
    const sessionId = req.headers['mcp-session-id'];
    if (options.sessions === true && typeof sessionId === 'string') {
      const known = sessions.get(sessionId);
      if (known === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
        return;
      }
      transport = known;
    } else if (options.sessions === true) {
      // A new session: its transport is kept for the session's later requests.
      const created = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (id) => void sessions.set(id, created),
        onsessionclosed: (id) => void sessions.delete(id),
      });
      transport = created;
      await build().connect(transport);
    } else {
      // Stateless: a server and a transport per request, as the SDK's examples do.
      transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await build().connect(transport);
    }
    const response = await transport.handleRequest(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body !== null) for await (const chunk of response.body) res.write(chunk);
    res.end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    headers,
    calls,
    methods,
    sessionCount: () => sessions.size,
    expireSessions: () => sessions.clear(),
    async close() {
      for (const resolve of hanging) resolve();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
