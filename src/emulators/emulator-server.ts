// The HTTP base every cloud emulator extends: lifecycle, the /__emulator control API, fault injection, the request
// journal, and JSON and streamed responses (SSE text or binary event-stream frames alike); over HTTP/1.1, and for
// emulators that ask for it also HTTP/2 on the same port.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { Http2Server, Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseFaultSet, takeFaults } from './emulator-faults.ts';
import type { AppliedFaults, FaultSet } from './emulator-faults.ts';
import { EmulatorJournal, redactHeaders, toJournalBody } from './emulator-journal.ts';
import type { JournalEntry } from './emulator-journal.ts';

/** One request to a cloud route, as the emulator's handler sees it. */
export interface EmulatorExchange {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** Parsed JSON body; undefined when the body was empty or not JSON. */
  readonly body: unknown;
  /** True when a non-empty body failed to parse as JSON. */
  readonly invalidJson: boolean;
  /** The body bytes exactly as received (SigV4 hashes them). */
  readonly rawBody: Buffer;
  /** Whether the client asked for a streamed answer (see EmulatorServer.isStreaming). */
  readonly stream: boolean;
  readonly faults: AppliedFaults;
  /** Aborted when the response closes, finished or not. */
  readonly signal: AbortSignal;
  readonly entry: JournalEntry;
}

/** A complete non-streamed answer. */
export interface EmulatorReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A streamed answer: each event is one chunk (an SSE `data:` block or one binary frame). */
export interface EmulatorStream {
  status?: number;
  headers: Record<string, string>;
  events: Iterable<string | Uint8Array>;
  /** Sent after the last event unless the stream is cut, e.g. `data: [DONE]\n\n`. */
  end?: string | Uint8Array;
}

const CONTROL_PREFIX = '/__emulator/';

/**
 * The start of every HTTP/2 connection over cleartext with prior knowledge (RFC 9113 section 3.3: the client preface
 * `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`): what an HTTP/2 client sends to an `http://` endpoint, as node:http2's
 * `connect('http://…')` does (the AWS SDK's default NodeHttp2Handler for Bedrock Runtime uses it). An HTTP/1.1 request
 * line never starts with `PRI `, so the first four bytes of a connection tell the two apart.
 */
const HTTP2_PREFACE_START = Buffer.from('PRI ');

/** Options of an emulator's server. */
export interface EmulatorServerOptions {
  /** Also serve HTTP/2 (cleartext, prior knowledge) on the same port as HTTP/1.1; off by default. */
  http2?: boolean;
}

/** Base of the cloud emulators: a node:http server with fault injection and a journal of recent requests. */
export abstract class EmulatorServer {
  /** Cloud name, sent in `x-crossway-emulator` and `server` on every response. */
  readonly cloud: string;
  readonly #server: Server;
  /** With HTTP/2 on: the listening socket, which hands each connection to HTTP/1.1 or HTTP/2 by its first bytes. */
  readonly #listener: NetServer | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #journal = new EmulatorJournal();
  #faults: FaultSet | null = null;
  #sequence = 0;
  #address: AddressInfo | undefined;

  /** `cloud` names the emulator in headers and in generated replies. */
  constructor(cloud: string, options: EmulatorServerOptions = {}) {
    this.cloud = cloud;
    this.#server = createServer((request, response) => void this.#onRequest(request, response));
    if (options.http2 === true) {
      const http2Server = createHttp2Server((request, response) => void this.#onHttp2Request(request, response));
      this.#listener = createNetServer((socket) => this.#route(socket, http2Server));
    }
  }

  /** Port the server listens on; throws before start(). */
  get port(): number {
    if (this.#address === undefined) throw new Error(`${this.cloud} emulator is not started`);
    return this.#address.port;
  }

  /** Base URL, e.g. `http://127.0.0.1:4010`; throws before start(). */
  get url(): string {
    const host = this.#address?.family === 'IPv6' ? `[${this.#address.address}]` : this.#address?.address;
    return `http://${host}:${this.port}`;
  }

  /** Listens on `port` (0 picks a free one) at `host`. */
  start(port = 0, host = '127.0.0.1'): Promise<void> {
    const server = this.#listener ?? this.#server;
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        this.#address = server.address() as AddressInfo;
        resolve();
      });
    });
  }

  /** Stops listening and destroys every open socket, idle keep-alive and mid-stream ones alike. */
  close(): Promise<void> {
    const listener = this.#listener;
    if (listener !== undefined) {
      if (!listener.listening) return Promise.resolve();
      return new Promise((resolve) => {
        listener.close(() => resolve());
        for (const socket of this.#sockets) socket.destroy();
      });
    }
    if (!this.#server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  /** Hands a new connection to the HTTP/2 server when it opens with the HTTP/2 preface, else to the HTTP/1.1 one. */
  #route(socket: Socket, http2Server: Http2Server): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // A client that connects and says nothing is held like an idle HTTP/1.1 connection: until close() destroys it.
    socket.once('data', (first: Buffer) => {
      socket.pause();
      if (first.subarray(0, HTTP2_PREFACE_START.length).equals(HTTP2_PREFACE_START)) {
        http2Server.emit('connection', replayFirstChunk(socket, first));
        return;
      }
      // node:http hands bytes put back with unshift to its parser; node:http2 reads the socket's native handle, so
      // it gets a stream that replays them instead (replayFirstChunk).
      socket.unshift(first);
      this.#server.emit('connection', socket);
      socket.resume();
    });
  }

  /**
   * An HTTP/2 request, answered like an HTTP/1.1 one through node:http2's compatibility API, whose request and response
   * offer every member the emulators use (headers, url, method, body stream; writeHead, setHeader, write, end,
   * flushHeaders, destroy, headersSent, statusCode, `finish` and `close`) but `headersDistinct`, added here. HTTP/2
   * names the host `:authority`; it is given as `host` too when the client sent no `host` header, since SigV4 signs it.
   */
  #onHttp2Request(request: Http2ServerRequest, response: Http2ServerResponse): void {
    const authority = request.headers[':authority'];
    if (request.headers.host === undefined && typeof authority === 'string') request.headers.host = authority;
    const distinct: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) distinct[name] = Array.isArray(value) ? value : [String(value)];
    }
    Object.defineProperty(request, 'headersDistinct', { value: distinct });
    void this.#onRequest(request as unknown as IncomingMessage, response as unknown as ServerResponse);
  }

  /** The most recent requests, oldest first (copies). */
  requests(): JournalEntry[] {
    return this.#journal.entries().map((entry) => ({ ...entry }));
  }

  /** Empties the journal. */
  clearRequests(): void {
    this.#journal.clear();
  }

  /** The active fault set, or null. */
  faults(): FaultSet | null {
    return this.#faults === null ? null : { ...this.#faults };
  }

  /** Replaces the active fault set; throws on an invalid one (same rules as the control API). */
  setFaults(faults: FaultSet): void {
    const parsed = parseFaultSet(faults);
    if ('error' in parsed) throw new Error(parsed.error);
    this.#faults = parsed.faults;
  }

  /** Removes the active fault set. */
  clearFaults(): void {
    this.#faults = null;
  }

  /** Answers one cloud request (faults, if any, were already applied). */
  protected abstract handle(exchange: EmulatorExchange): Promise<void>;

  /** The cloud's own answer to an injected fault status. `retry-after` is added by the base. */
  protected abstract faultReply(status: number, exchange: EmulatorExchange): EmulatorReply;

  /** Headers the cloud puts on every response (request ids and the like). */
  protected responseHeaders(_exchange: EmulatorExchange): Record<string, string> {
    return {};
  }

  /** Requests no fault touches or counts: a cloud's auxiliary service on the same port (Google's OAuth token endpoint). */
  protected isExemptFromFaults(_method: string, _path: string): boolean {
    return false;
  }

  /** Whether the request asks for a streamed answer; OpenAI-wire clouds read `stream: true` from the body. */
  protected isStreaming(request: { path: string; body: unknown }): boolean {
    const body = request.body;
    return typeof body === 'object' && body !== null && (body as { stream?: unknown }).stream === true;
  }

  /** Sends a complete JSON answer. */
  protected sendReply(exchange: EmulatorExchange, reply: EmulatorReply): void {
    const text = JSON.stringify(reply.body);
    exchange.response.writeHead(reply.status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...reply.headers,
    });
    exchange.response.end(text);
  }

  /** Sends a complete answer or streams one, whichever it is. */
  protected async sendAnswer(exchange: EmulatorExchange, answer: EmulatorReply | EmulatorStream): Promise<void> {
    if ('events' in answer) await this.sendStream(exchange, answer);
    else this.sendReply(exchange, answer);
  }

  /** Streams `stream.events`, honouring `chunk_delay_ms` and `disconnect_after_chunks`, and journals the count. */
  protected async sendStream(exchange: EmulatorExchange, stream: EmulatorStream): Promise<void> {
    const { response, faults, signal, entry } = exchange;
    response.writeHead(stream.status ?? 200, stream.headers);
    response.flushHeaders();
    const cutAfter = faults.disconnectAfterChunks;
    for (const event of stream.events) {
      if (cutAfter !== undefined && entry.chunks_sent >= cutAfter) return this.#disconnect(exchange);
      if (entry.chunks_sent > 0 && !(await pause(faults.chunkDelayMs, signal))) return;
      if (!(await writeChunk(response, event, signal))) return;
      entry.chunks_sent++;
    }
    if (cutAfter !== undefined && entry.chunks_sent >= cutAfter) return this.#disconnect(exchange);
    if (stream.end !== undefined) {
      if (!(await pause(faults.chunkDelayMs, signal))) return;
      if (!(await writeChunk(response, stream.end, signal))) return;
    }
    response.end();
  }

  async #onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.setHeader('x-crossway-emulator', this.cloud);
    response.setHeader('server', `crossway-emulator/${this.cloud}`);
    const url = new URL(request.url ?? '/', 'http://emulator');
    let rawBody: Buffer;
    try {
      rawBody = await readBody(request);
    } catch {
      response.destroy();
      return;
    }
    const text = rawBody.toString('utf8');
    let body: unknown;
    let invalidJson = false;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        invalidJson = true;
      }
    }
    if (url.pathname.startsWith(CONTROL_PREFIX)) return this.#control(request.method ?? 'GET', url.pathname, body, invalidJson, response);

    const exempt = this.isExemptFromFaults(request.method ?? 'GET', url.pathname);
    const { applied, remaining } = takeFaults(exempt ? null : this.#faults);
    if (!exempt) this.#faults = remaining;
    const stream = this.isStreaming({ path: url.pathname, body });
    const entry: JournalEntry = {
      id: `req_${++this.#sequence}`,
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: redactHeaders(request.headers),
      ...toJournalBody(rawBody, body),
      status: null,
      stream,
      chunks_sent: 0,
      outcome: null,
      started_at: new Date().toISOString(),
      ended_at: null,
    };
    this.#journal.append(entry);
    const controller = new AbortController();
    response.once('finish', () => {
      entry.status = response.statusCode;
      entry.outcome ??= response.statusCode >= 400 ? 'error' : 'completed';
      entry.ended_at ??= new Date().toISOString();
    });
    response.once('close', () => {
      if (response.headersSent) entry.status = response.statusCode;
      entry.outcome ??= 'aborted';
      entry.ended_at ??= new Date().toISOString();
      controller.abort();
    });
    const exchange: EmulatorExchange = {
      request,
      response,
      method: entry.method,
      path: url.pathname,
      query: url.searchParams,
      body,
      invalidJson,
      rawBody,
      stream,
      faults: applied,
      signal: controller.signal,
      entry,
    };
    for (const [name, value] of Object.entries(this.responseHeaders(exchange))) response.setHeader(name, value);

    try {
      if (!(await pause(applied.latencyMs, controller.signal))) return;
      if (applied.status !== undefined) return this.#sendFault(exchange, applied.status);
      if (applied.disconnectAfterChunks !== undefined && !stream) return this.#disconnect(exchange);
      await this.handle(exchange);
    } catch (error) {
      if (response.headersSent) response.destroy();
      else this.sendReply(exchange, { status: 500, body: { error: { message: `Emulator failure: ${String(error)}` } } });
    }
  }

  #sendFault(exchange: EmulatorExchange, status: number): void {
    const reply = this.faultReply(status, exchange);
    const headers: Record<string, string> = {};
    if (status === 429 || exchange.faults.retryAfterExplicit) {
      headers['retry-after'] = String(Math.ceil(exchange.faults.retryAfterSeconds));
    }
    this.sendReply(exchange, { ...reply, headers: { ...headers, ...reply.headers } });
  }

  #disconnect(exchange: EmulatorExchange): void {
    exchange.entry.outcome = 'disconnected';
    exchange.entry.ended_at = new Date().toISOString();
    exchange.response.destroy();
  }

  #control(method: string, path: string, body: unknown, invalidJson: boolean, response: ServerResponse): void {
    const send = (status: number, payload: unknown) => {
      const text = JSON.stringify(payload);
      response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      response.end(text);
    };
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /__emulator/faults':
        return send(200, { faults: this.#faults });
      case 'POST /__emulator/faults': {
        if (invalidJson) return send(400, { error: { message: 'Body is not valid JSON.' } });
        const parsed = parseFaultSet(body ?? {});
        if ('error' in parsed) return send(400, { error: { message: parsed.error } });
        this.#faults = parsed.faults;
        return send(200, { faults: this.#faults });
      }
      case 'DELETE /__emulator/faults':
        this.#faults = null;
        return send(200, { faults: null });
      case 'GET /__emulator/requests':
        return send(200, { data: this.#journal.entries() });
      case 'DELETE /__emulator/requests':
        this.clearRequests();
        return send(200, { data: [] });
      default: {
        const known = path === '/__emulator/faults' || path === '/__emulator/requests';
        return send(known ? 405 : 404, { error: { message: `No control route ${route}.` } });
      }
    }
  }
}

/**
 * A duplex over `socket` that yields `first` (already read from it) and then whatever the socket reads, and writes
 * to the socket: node:http2 serves any duplex stream, while a net.Socket it reads through its native handle, which
 * no longer holds `first`.
 */
function replayFirstChunk(socket: Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, callback) => void socket.write(chunk, callback),
    final: (callback) => void socket.end(callback),
    destroy: (error, callback) => {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  duplex.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.once('end', () => duplex.push(null));
  socket.once('close', () => duplex.destroy());
  return duplex;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Waits `ms`; resolves false if `signal` aborts first (the client went away). */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Writes one chunk and waits until it is flushed; false if the response closed first. */
function writeChunk(response: ServerResponse, chunk: string | Uint8Array, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    response.write(chunk, (error) => {
      signal.removeEventListener('abort', onAbort);
      resolve(error === undefined || error === null);
    });
  });
}
