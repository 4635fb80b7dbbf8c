// The bench's upstream: answers OpenAI chat completions at once, as JSON or as an SSE stream of `--chunks` content
// chunks (each its own write, one event-loop turn apart, as a model's tokens arrive), so that what is measured is the
// proxy in front of it. Run as its own process: `node bench/minimal-upstream.ts --port=0 --chunks=50`; a request may
// ask for another chunk count with the bench-only body field `bench_chunks`.
// Shapes: OpenAI API reference, "The chat completion object" and "The chat completion chunk object"
// (https://platform.openai.com/docs/api-reference/chat); with `stream_options.include_usage` a last chunk with
// `choices: []` carries the usage and every other chunk has `usage: null`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const port = Number(argument('port') ?? 0);
const contentChunks = Number(argument('chunks') ?? 50);
const created = 1_767_225_600;
const base = { id: 'chatcmpl-bench', created, model: 'bench-model', system_fingerprint: null };
const usage = { prompt_tokens: 12, completion_tokens: contentChunks, total_tokens: 12 + contentChunks };

const completionBody = Buffer.from(
  JSON.stringify({
    ...base,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'word '.repeat(20).trim(), refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage,
  }),
);

function event(payload: unknown): Buffer {
  return Buffer.from(`data: ${JSON.stringify(payload)}\n\n`);
}
function chunk(delta: object, finishReason: string | null, withUsage: boolean): Buffer {
  const choice = { index: 0, delta, logprobs: null, finish_reason: finishReason };
  return event({ ...base, object: 'chat.completion.chunk', choices: [choice], ...(withUsage ? { usage: null } : {}) });
}
const streamed = {
  plain: { first: chunk({ role: 'assistant', content: '' }, null, false), content: chunk({ content: 'word ' }, null, false), last: chunk({}, 'stop', false) },
  usage: { first: chunk({ role: 'assistant', content: '' }, null, true), content: chunk({ content: 'word ' }, null, true), last: chunk({}, 'stop', true) },
};
const usageEvent = event({ ...base, object: 'chat.completion.chunk', choices: [], usage });
const doneEvent = Buffer.from('data: [DONE]\n\n');

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  void answer(req, res).catch(() => res.destroy());
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});

async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const parts: Buffer[] = [];
  for await (const part of req as AsyncIterable<Buffer>) parts.push(part);
  if (req.method !== 'POST' || !(req.url ?? '').endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":"unknown_url"}}');
    return;
  }
  const request = JSON.parse(Buffer.concat(parts).toString('utf8')) as {
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
    /** Bench-only field (gateways pass unknown fields through): content chunks of this stream. */
    bench_chunks?: number;
  };
  if (request.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': completionBody.length, 'x-request-id': 'req_bench' });
    res.end(completionBody);
    return;
  }
  const withUsage = request.stream_options?.include_usage === true;
  const events = withUsage ? streamed.usage : streamed.plain;
  let closed = false;
  res.once('close', () => (closed = true));
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': 'req_bench' });
  res.write(events.first);
  const count = Number.isInteger(request.bench_chunks) && request.bench_chunks! > 0 ? request.bench_chunks! : contentChunks;
  for (let k = 0; k < count && !closed; k++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!res.write(events.content) && !closed) await drainOrClose(res);
  }
  if (closed) return;
  res.write(events.last);
  if (withUsage) res.write(usageEvent);
  res.end(doneEvent);
}

/** Waits until the client takes more bytes, or went away (a stream must not wait for a drain that never comes). */
function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function argument(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}
