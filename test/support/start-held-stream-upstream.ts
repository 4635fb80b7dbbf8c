// An OpenAI-compatible upstream on 127.0.0.1 whose streamed chat completions send their first chunk at once and the
// rest only when the test releases them: a stream is surely in flight, however slow the machine, while a test acts.
// Unstreamed requests are answered at once.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldStreamUpstream {
  /** Base URL of the OpenAI API (ends in /v1). */
  url: string;
  /** Resolves when the next streamed request (counting from this call) has sent its first chunk and is held. */
  arrival(): Promise<void>;
  /** Ends every held stream (and every later one at once) with HELD_STREAM_PARTS, the usage and [DONE]. */
  release(): void;
  close(): Promise<void>;
}

/** The content pieces every stream sends, the first before the hold: a client that got them all got the whole stream. */
export const HELD_STREAM_PARTS = ['first ', 'second ', 'third.'];
/** The usage every answer reports. */
export const HELD_STREAM_USAGE = { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 };

/** Starts the upstream on an ephemeral port. */
export async function startHeldStreamUpstream(): Promise<HeldStreamUpstream> {
  const held: ServerResponse[] = [];
  const waiting: (() => void)[] = [];
  let released = false;

  const chunk = (res: ServerResponse, payload: Record<string, unknown>): void => {
    res.write(`data: ${JSON.stringify({ id: 'chatcmpl-held-stream', object: 'chat.completion.chunk', created: 1, model: 'held', ...payload })}\n\n`);
  };
  const finish = (res: ServerResponse): void => {
    if (res.destroyed) return;
    for (const part of HELD_STREAM_PARTS.slice(1)) chunk(res, { choices: [{ index: 0, delta: { content: part }, finish_reason: null }] });
    chunk(res, { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    chunk(res, { choices: [], usage: HELD_STREAM_USAGE });
    res.end('data: [DONE]\n\n');
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.once('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString() || '{}') as { stream?: boolean };
      if (body.stream !== true) {
        const answer = JSON.stringify({
          id: 'chatcmpl-held-stream',
          object: 'chat.completion',
          created: 1,
          model: 'held',
          choices: [{ index: 0, message: { role: 'assistant', content: HELD_STREAM_PARTS.join('') }, finish_reason: 'stop' }],
          usage: HELD_STREAM_USAGE,
        });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(answer)) }).end(answer);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      chunk(res, { choices: [{ index: 0, delta: { role: 'assistant', content: HELD_STREAM_PARTS[0] }, finish_reason: null }] });
      if (released) return finish(res);
      held.push(res);
      for (const resolve of waiting.splice(0)) resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    arrival: () => new Promise((resolve) => waiting.push(resolve)),
    release() {
      released = true;
      for (const res of held.splice(0)) finish(res);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A route of `model` to the held upstream at `url`, priced so that its calls land in the ledger with a cost. */
export function heldStreamRoute(id: string, model: string, url: string): Record<string, unknown> {
  return {
    id,
    model,
    provider: 'openai',
    endpoint: url,
    auth: { type: 'bearer', key: 'sk-held-stream' },
    capabilities: ['streaming'],
    price: { input: 5, output: 30, currency: 'USD' },
    timeout_ms: 600_000,
  };
}
