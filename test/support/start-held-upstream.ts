// An OpenAI-compatible upstream on 127.0.0.1 that holds every chat completion until the test releases it, so that a
// test can act while a call is in flight without guessing how long the call takes on this machine.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldUpstream {
  /** Base URL of the OpenAI API (ends in /v1). */
  url: string;
  /** Resolves when the next request (counting from this call) has arrived and is being held. */
  arrival(): Promise<void>;
  /** Answers every held request (and every later one at once) with a small chat completion. */
  release(): void;
  close(): Promise<void>;
}

/** Starts a held upstream on an ephemeral port. */
export async function startHeldUpstream(): Promise<HeldUpstream> {
  const held: ServerResponse[] = [];
  const waiting: (() => void)[] = [];
  let released = false;

  const answer = (res: ServerResponse): void => {
    const body = JSON.stringify({
      id: 'chatcmpl-held',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: 'held',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Released.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).end(body);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.once('end', () => {
      if (released) return answer(res);
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
      for (const res of held.splice(0)) if (!res.destroyed) answer(res);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The model whose one route is a held upstream at `url`: a call on it waits until the test releases it. */
export const HELD_MODEL = { id: 'via-held' };

/**
 * The route of HELD_MODEL to `url`. Its attempts wait as long as the test holds them (a stack's 5 s attempt timeout
 * would end them on its own), so that a job is surely still running, however slow the machine, while a test looks.
 */
export function heldRoute(url: string): Record<string, unknown> {
  return {
    id: 'held',
    model: HELD_MODEL.id,
    provider: 'openai',
    endpoint: url,
    auth: { type: 'bearer', key: 'sk-held' },
    capabilities: ['streaming'],
    timeout_ms: 600_000,
  };
}
