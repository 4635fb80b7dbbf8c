// The demo's MCP server: a small real MCP server (the official server SDK over Streamable HTTP) on 127.0.0.1 with a
// few deterministic tools, so that `npm start` shows an agent session calling MCP tools without anything outside the
// machine. The server SDK is a development dependency: where it is not installed (`npm install --omit=dev`) the demo
// runs without it and says so.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The label the demo registers its MCP server under, for the tenant `default`. */
export const DEMO_MCP_SERVER_LABEL = 'demo-tools';

/** Largest request body the demo server reads; MCP requests of its tools are a few hundred bytes. */
const MAX_BODY_BYTES = 256 * 1024;

/** The demo's orders, as `lookup_order` finds them. */
const DEMO_ORDERS: Readonly<Record<string, { status: string; item: string; quantity: number; total: string; eta: string | null }>> = {
  '1001': { status: 'shipped', item: 'Espresso machine', quantity: 1, total: '349.00 USD', eta: '2026-12-10' },
  '1002': { status: 'processing', item: 'Coffee beans (1 kg)', quantity: 3, total: '54.00 USD', eta: '2026-12-14' },
  '1003': { status: 'delivered', item: 'Milk frother', quantity: 1, total: '79.00 USD', eta: null },
};

/** A running demo MCP server. */
export interface DemoMcpServer {
  /** Its Streamable HTTP endpoint, `http://127.0.0.1:<port>/mcp`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the demo MCP server on 127.0.0.1 (`port` 0: a free one) with the tools `add_numbers`, `lookup_order` and
 * `get_time`; null when the MCP server SDK is not installed.
 */
export async function startDemoMcpServer(port = 0): Promise<DemoMcpServer | null> {
  let sdk: typeof import('@modelcontextprotocol/server');
  try {
    sdk = await import('@modelcontextprotocol/server');
  } catch {
    return null;
  }
  const { z } = await import('zod');
  const build = () => {
    const server = new sdk.McpServer({ name: 'crossway-demo-tools', version: '1.0.0' });
    const readOnly = { readOnlyHint: true, idempotentHint: true, openWorldHint: false };
    server.registerTool(
      'add_numbers',
      { description: 'Adds two numbers.', inputSchema: z.object({ a: z.number(), b: z.number() }), annotations: readOnly },
      async ({ a, b }) => ({ content: [{ type: 'text', text: `${a} + ${b} = ${a + b}` }] }),
    );
    server.registerTool(
      'lookup_order',
      { description: 'Looks up a demo order by its id (1001, 1002 or 1003).', inputSchema: z.object({ order_id: z.string().max(64) }), annotations: readOnly },
      async ({ order_id }) => {
        const id = order_id.trim().replace(/^#/, '');
        const order = Object.hasOwn(DEMO_ORDERS, id) ? DEMO_ORDERS[id] : undefined;
        if (order === undefined)
          return { isError: true, content: [{ type: 'text', text: `No order ${id.slice(0, 64)}: the demo knows 1001, 1002 and 1003.` }] };
        return { content: [{ type: 'text', text: JSON.stringify({ order_id: id, ...order }) }] };
      },
    );
    server.registerTool(
      'get_time',
      {
        description: 'The current date and time in an IANA time zone (UTC by default).',
        inputSchema: z.object({ time_zone: z.string().max(64).optional() }),
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      async ({ time_zone }) => {
        const zone = time_zone ?? 'UTC';
        try {
          const text = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'long', timeZone: zone }).format(new Date());
          return { content: [{ type: 'text', text }] };
        } catch {
          return { isError: true, content: [{ type: 'text', text: `Unknown time zone ${zone}.` }] };
        }
      },
    );
    return server;
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    const request = new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`, {
      method: req.method,
      headers: Object.entries(req.headers).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value] as [string, string]] : [])),
      ...(body.length > 0 ? { body } : {}),
    });
    // Stateless, as the SDK's stateless example: a server and a transport per request.
    const transport = new sdk.WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await build().connect(transport);
    const response = await transport.handleRequest(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body !== null) for await (const chunk of response.body) res.write(chunk);
    res.end();
  };
  const http = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', () => resolve());
  });
  const address = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/mcp`,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
