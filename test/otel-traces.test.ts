// OpenTelemetry end to end: a gateway exporting OTLP/HTTP (JSON) to a receiver started here sends the GenAI spans and
// metrics of a chat call, a stream, a failover and a Responses turn, continuing the client's `traceparent` and passing
// the attempt's span context to the emulator; a gateway without an endpoint exports nothing and propagates nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AZURE_KEY, OPENAI_KEY, startStack, type Stack } from './support/start-stack.ts';
import { waitFor } from './support/wait-for.ts';

// Short export intervals (read by the gateway at start), and a service name the resource must carry.
process.env.OTEL_BSP_SCHEDULE_DELAY = '50';
process.env.OTEL_METRIC_EXPORT_INTERVAL = '100';
process.env.OTEL_SERVICE_NAME = 'crossway-under-test';

const HELLO = [{ role: 'user' as const, content: 'Hello' }];
const SPAN_KIND = { internal: 1, server: 2, client: 3 };

type OtlpValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values: OtlpValue[] } };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: OtlpValue }>;
  links?: Array<{ traceId: string; spanId: string }>;
}
interface ReceivedSpan extends OtlpSpan {
  attrs: Record<string, unknown>;
  resource: Record<string, unknown>;
}
interface HistogramPoint {
  attributes: Record<string, unknown>;
  count: number;
  explicitBounds: number[];
}

function decodeValue(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return value.arrayValue.values.map(decodeValue);
  return undefined;
}

function attributesOf(list: Array<{ key: string; value: OtlpValue }> | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, decodeValue(value)]));
}

/** An OTLP/HTTP receiver decoding the JSON the exporters send; everything it received, raw and decoded. */
async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const histograms = new Map<string, HistogramPoint[]>();
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      bodies.push(text);
      const body = JSON.parse(text);
      if (req.url === '/v1/traces') {
        for (const resourceSpans of body.resourceSpans ?? []) {
          const resource = attributesOf(resourceSpans.resource?.attributes);
          for (const scope of resourceSpans.scopeSpans ?? []) {
            for (const span of scope.spans as OtlpSpan[]) spans.push({ ...span, attrs: attributesOf(span.attributes), resource });
          }
        }
      } else if (req.url === '/v1/metrics') {
        for (const resourceMetrics of body.resourceMetrics ?? []) {
          for (const scope of resourceMetrics.scopeMetrics ?? []) {
            for (const metric of scope.metrics ?? []) {
              if (metric.histogram === undefined) continue;
              const points = metric.histogram.dataPoints.map((point: { attributes: never; count: string | number; explicitBounds: number[] }) => ({
                attributes: attributesOf(point.attributes),
                count: Number(point.count),
                explicitBounds: point.explicitBounds,
              }));
              histograms.set(`${metric.name} ${metric.unit}`, points);
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    histograms,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An upstream attempt's CLIENT span (the inference span is a CLIENT span too, as the conventions say). */
function isAttempt(span: ReceivedSpan): boolean {
  return span.kind === SPAN_KIND.client && span.attrs['crossway.attempt'] !== undefined;
}

function newTraceparent(): { traceparent: string; traceId: string; parentId: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceparent: `00-${traceId}-${parentId}-01`, traceId, parentId };
}

describe('OpenTelemetry GenAI traces and metrics', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let stack: Stack;
  let silent: Stack;

  /** The spans of one trace, once `done` holds of them. */
  const traceOf = (traceId: string, done: (spans: ReceivedSpan[]) => boolean) =>
    waitFor(`the spans of trace ${traceId}`, () => {
      const spans = receiver.spans.filter((span) => span.traceId === traceId);
      return done(spans) ? spans : undefined;
    });

  before(async () => {
    receiver = await startOtlpReceiver();
    // Outliers never ejected: each case sees every route.
    const execute = { attempt_timeout_ms: 5_000, outlier: { consecutive_failures: 1000, base_ejection_ms: 60_000 } };
    stack = await startStack({ telemetry: { otlp_endpoint: receiver.url }, execute });
    silent = await startStack({ execute });
  });
  after(async () => {
    await stack?.close();
    await silent?.close();
    await receiver?.close();
  });

  it('a chat call: SERVER, inference, planning and CLIENT spans continue the client trace; the emulator gets the attempt as parent', async () => {
    const { traceparent, traceId, parentId } = newTraceparent();
    const { data } = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO }, { headers: { traceparent } }).withResponse();
    const spans = await traceOf(traceId, (found) => found.some((span) => span.kind === SPAN_KIND.server));

    const server = spans.find((span) => span.kind === SPAN_KIND.server)!;
    assert.equal(server.parentSpanId, parentId, 'the SERVER span is a child of the client span');
    assert.equal(server.name, 'POST /v1/chat/completions');
    assert.equal(server.attrs['http.request.method'], 'POST');
    assert.equal(server.attrs['url.path'], '/v1/chat/completions');
    assert.equal(server.attrs['http.route'], '/v1/chat/completions');
    assert.equal(server.attrs['http.response.status_code'], 200);
    assert.equal(server.resource['service.name'], 'crossway-under-test');

    const inference = spans.find((span) => span.name === 'chat gpt-5.5')!;
    assert.ok(inference, 'an inference span');
    assert.equal(inference.parentSpanId, server.spanId);
    assert.equal(inference.kind, SPAN_KIND.client);
    assert.equal(inference.attrs['gen_ai.operation.name'], 'chat');
    assert.equal(inference.attrs['gen_ai.provider.name'], 'azure.ai.openai');
    assert.equal(inference.attrs['gen_ai.request.model'], 'gpt-5.5');
    assert.equal(inference.attrs['gen_ai.response.model'], data.model);
    assert.equal(inference.attrs['gen_ai.response.id'], data.id);
    assert.deepEqual(inference.attrs['gen_ai.response.finish_reasons'], ['stop']);
    assert.equal(inference.attrs['gen_ai.usage.input_tokens'], data.usage?.prompt_tokens);
    assert.equal(inference.attrs['gen_ai.usage.output_tokens'], data.usage?.completion_tokens);
    assert.equal(inference.attrs['crossway.route'], 'azure-eastus2-gpt-5.5');
    assert.match(String(inference.attrs['crossway.decision_id']), /\S/);
    assert.equal(inference.attrs['gen_ai.input.messages'], undefined, 'no content unless capture_content');
    assert.equal(inference.attrs['gen_ai.output.messages'], undefined);

    const plan = spans.find((span) => span.name === 'crossway.plan')!;
    assert.equal(plan.parentSpanId, inference.spanId);
    assert.equal(plan.attrs['crossway.plan.kept'], 3);

    const client = spans.find(isAttempt)!;
    assert.equal(client.parentSpanId, inference.spanId);
    assert.equal(client.attrs['crossway.route'], 'azure-eastus2-gpt-5.5');
    assert.equal(client.attrs['cloud.region'], 'eastus2');
    assert.equal(client.attrs['http.response.status_code'], 200);
    assert.equal(client.attrs['server.address'], '127.0.0.1');
    assert.equal(client.attrs['crossway.attempt'], 1);

    const upstream = (await stack.journal('azure')).at(-1)!;
    assert.equal(upstream.headers.traceparent, `00-${traceId}-${client.spanId}-01`);

    // The ledger's batch commit: a span of its own, linked to the call's span.
    const ledger = await waitFor('a ledger commit span linked to the call', () =>
      receiver.spans.find((span) => span.name === 'crossway.ledger.commit' && span.links?.some((link) => link.traceId === traceId)),
    );
    assert.ok(Number(ledger.attrs['crossway.ledger.batch_size']) >= 1);
    assert.notEqual(ledger.traceId, traceId);
  });

  it('a stream: the inference span ends with the stream and carries its usage', async () => {
    const { traceparent, traceId } = newTraceparent();
    const stream = await stack.client.chat.completions.create(
      { model: 'gpt-5.5', messages: HELLO, stream: true, stream_options: { include_usage: true } },
      { headers: { traceparent } },
    );
    let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
    let id = '';
    for await (const chunk of stream) {
      usage = chunk.usage ?? usage;
      id = chunk.id;
    }
    const spans = await traceOf(traceId, (found) => found.some((span) => span.kind === SPAN_KIND.server));
    const inference = spans.find((span) => span.name === 'chat gpt-5.5')!;
    assert.equal(inference.attrs['gen_ai.usage.input_tokens'], usage?.prompt_tokens);
    assert.equal(inference.attrs['gen_ai.usage.output_tokens'], usage?.completion_tokens);
    assert.equal(inference.attrs['gen_ai.response.id'], id);
    assert.deepEqual(inference.attrs['gen_ai.response.finish_reasons'], ['stop']);
    const client = spans.find(isAttempt)!;
    assert.equal(client.attrs['http.response.status_code'], 200);
    assert.equal(client.parentSpanId, inference.spanId);
  });

  it('a failover: one CLIENT span per attempt, the failed ones with their status and error type', async () => {
    const { traceparent, traceId } = newTraceparent();
    await stack.fault('azure', { status: 503 });
    try {
      const { response } = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO }, { headers: { traceparent } }).withResponse();
      assert.equal(response.headers.get('x-crossway-route'), 'openai-global-gpt-5.5');
    } finally {
      await stack.clearFaults();
    }
    const spans = await traceOf(traceId, (found) => found.some((span) => span.kind === SPAN_KIND.server));
    const clients = spans.filter(isAttempt).sort((a, b) => Number(a.attrs['crossway.attempt']) - Number(b.attrs['crossway.attempt']));
    assert.deepEqual(
      clients.map((span) => [span.attrs['crossway.route'], span.attrs['http.response.status_code'], span.attrs['http.request.resend_count']]),
      [
        ['azure-eastus2-gpt-5.5', 503, undefined],
        ['azure-swedencentral-gpt-5.5', 503, 1],
        ['openai-global-gpt-5.5', 200, 2],
      ],
    );
    assert.ok(typeof clients[0]!.attrs['error.type'] === 'string');
    assert.equal(clients[2]!.attrs['error.type'], undefined);
    const inference = spans.find((span) => span.name === 'chat gpt-5.5')!;
    assert.equal(inference.attrs['gen_ai.provider.name'], 'openai');
    assert.equal(inference.attrs['crossway.route'], 'openai-global-gpt-5.5');
    // Each attempt went out with its own span as parent.
    const openaiCall = (await stack.journal('openai')).at(-1)!;
    assert.equal(openaiCall.headers.traceparent, `00-${traceId}-${clients[2]!.spanId}-01`);
  });

  it('a client that leaves before the answer: the SERVER span says so, the attempt span ends', async () => {
    const { traceparent, traceId } = newTraceparent();
    await stack.fault('azure', { latency_ms: 30_000 });
    try {
      const controller = new AbortController();
      const sent = fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json', traceparent },
        body: JSON.stringify({ model: 'gpt-5.5', messages: HELLO }),
        signal: controller.signal,
      });
      // Gone once the attempt is under way (the emulator journals a request when it arrives).
      await waitFor('the held attempt', async () => (await stack.journal('azure')).some((entry) => entry.headers.traceparent?.includes(traceId)));
      controller.abort();
      await assert.rejects(sent);
    } finally {
      await stack.clearFaults();
    }
    const spans = await traceOf(traceId, (found) => found.some((span) => span.kind === SPAN_KIND.server));
    const server = spans.find((span) => span.kind === SPAN_KIND.server)!;
    assert.equal(server.attrs['error.type'], 'client_closed');
    assert.equal(server.attrs['http.response.status_code'], undefined);
    const attempt = await waitFor('the abandoned attempt span', () => receiver.spans.find((span) => span.traceId === traceId && isAttempt(span)));
    assert.ok(typeof attempt.attrs['error.type'] === 'string');
  });

  it('a Responses turn produces the same inference span, under POST /v1/responses', async () => {
    const { traceparent, traceId } = newTraceparent();
    const response = await stack.client.responses.create({ model: 'gpt-5.5', input: 'Hello' }, { headers: { traceparent } });
    const spans = await traceOf(traceId, (found) => found.some((span) => span.kind === SPAN_KIND.server));
    const server = spans.find((span) => span.kind === SPAN_KIND.server)!;
    assert.equal(server.name, 'POST /v1/responses');
    const inference = spans.find((span) => span.name === 'chat gpt-5.5')!;
    assert.equal(inference.parentSpanId, server.spanId);
    assert.equal(inference.attrs['gen_ai.operation.name'], 'chat');
    assert.equal(inference.attrs['gen_ai.usage.input_tokens'], response.usage?.input_tokens);
    assert.equal(inference.attrs['gen_ai.usage.output_tokens'], response.usage?.output_tokens);
    assert.equal(inference.attrs['gen_ai.response.id'], response.id);
    assert.deepEqual(inference.attrs['gen_ai.response.finish_reasons'], ['stop']);
    assert.ok(spans.some((span) => isAttempt(span) && span.parentSpanId === inference.spanId));
  });

  it('an agent step produces the same inference span', async () => {
    const agents = stack.client.beta.agents;
    const session = await agents.sessions.create({ environment: { type: 'none' }, agent: { model: 'via-azure-v1' }, input: 'Hello there.' });
    await waitFor(`session ${session.id} idle`, async () => (await agents.sessions.retrieve(session.id)).status === 'idle');
    // No other call of this suite uses the model: the span is the step's.
    const inference = await waitFor('the agent step inference span', () => receiver.spans.find((span) => span.name === 'chat via-azure-v1'));
    assert.equal(inference.kind, SPAN_KIND.client);
    assert.equal(inference.attrs['gen_ai.operation.name'], 'chat');
    assert.equal(inference.attrs['gen_ai.provider.name'], 'azure.ai.openai');
    assert.equal(inference.attrs['crossway.route'], 'azure-v1-only');
    assert.ok(Number(inference.attrs['gen_ai.usage.output_tokens']) > 0);
    assert.match(String(inference.attrs['gen_ai.response.id']), /\S/);
    const client = await waitFor('the step attempt span', () => receiver.spans.find((span) => span.parentSpanId === inference.spanId && isAttempt(span)));
    assert.equal(client.attrs['crossway.route'], 'azure-v1-only');
  });

  it('an embeddings call has an embeddings inference span', async () => {
    const { traceparent, traceId } = newTraceparent();
    const embedded = await stack.client.embeddings.create({ model: 'text-embedding-3-small', input: 'Hello' }, { headers: { traceparent } });
    const spans = await traceOf(traceId, (found) => found.some((span) => span.kind === SPAN_KIND.server));
    const inference = spans.find((span) => span.name === 'embeddings text-embedding-3-small')!;
    assert.equal(inference.attrs['gen_ai.operation.name'], 'embeddings');
    assert.equal(inference.attrs['gen_ai.usage.input_tokens'], embedded.usage.prompt_tokens);
  });

  it('GenAI metrics with the conventions attributes, units and bucket boundaries', async () => {
    const tokens = await waitFor('output token metrics', () => {
      const points = receiver.histograms.get('gen_ai.client.token.usage {token}');
      return points?.some((point) => point.attributes['gen_ai.token.type'] === 'output') ? points : undefined;
    });
    const input = tokens.find((point) => point.attributes['gen_ai.token.type'] === 'input' && point.attributes['gen_ai.provider.name'] === 'azure.ai.openai')!;
    assert.equal(input.attributes['gen_ai.operation.name'], 'chat');
    assert.equal(input.attributes['gen_ai.request.model'], 'gpt-5.5');
    assert.ok(input.count >= 2);
    assert.deepEqual(input.explicitBounds.slice(0, 3), [1, 4, 16]);
    // Cumulative: an export after the four calls above counts each of them.
    const durations = await waitFor('the durations of four calls', () => {
      const points = receiver.histograms.get('gen_ai.client.operation.duration s');
      return points !== undefined && points.reduce((sum, point) => sum + point.count, 0) >= 4 ? points : undefined;
    });
    assert.deepEqual(durations[0]!.explicitBounds.slice(0, 2), [0.01, 0.02]);
    const firstToken = receiver.histograms.get('gen_ai.server.time_to_first_token s')!;
    assert.ok(firstToken.reduce((sum, point) => sum + point.count, 0) >= 1, 'the stream has a time to first token');
  });

  it('telemetry.capture_content: the prompt and the answer in the conventions message shape, bounded', async () => {
    const capturing = await startStack({ telemetry: { otlp_endpoint: receiver.url, capture_content: true, max_content_bytes: 4096 } });
    try {
      const { traceparent, traceId } = newTraceparent();
      const long = `Remember this: ${'z'.repeat(20_000)}`;
      await capturing.client.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: long }] }, { headers: { traceparent } });
      const spans = await traceOf(traceId, (found) => found.some((span) => span.name === 'chat gpt-5.5'));
      const inference = spans.find((span) => span.name === 'chat gpt-5.5')!;
      const input = String(inference.attrs['gen_ai.input.messages']);
      assert.ok(Buffer.byteLength(input) <= 4096);
      const [message] = JSON.parse(input);
      assert.equal(message.role, 'user');
      assert.match(message.parts[0].content, /^Remember this: z+$/);
      const [output] = JSON.parse(String(inference.attrs['gen_ai.output.messages']));
      assert.equal(output.role, 'assistant');
      assert.equal(output.finish_reason, 'stop');
      assert.equal(output.parts[0].type, 'text');

      // A Responses turn: its context as the chat messages it is sent as, its output text.
      const turn = newTraceparent();
      const response = await capturing.client.responses.create(
        { model: 'gpt-5.5', instructions: 'Be brief.', input: 'Say hi' },
        { headers: { traceparent: turn.traceparent } },
      );
      const turnSpans = await traceOf(turn.traceId, (found) => found.some((span) => span.name === 'chat gpt-5.5'));
      const turnSpan = turnSpans.find((span) => span.name === 'chat gpt-5.5')!;
      const turnInput = JSON.parse(String(turnSpan.attrs['gen_ai.input.messages']));
      assert.deepEqual(turnInput.at(-1), { role: 'user', parts: [{ type: 'text', content: 'Say hi' }] });
      const [turnOutput] = JSON.parse(String(turnSpan.attrs['gen_ai.output.messages']));
      assert.equal(turnOutput.parts[0].content, response.output_text);
    } finally {
      await capturing.close();
    }
  });

  it('no secret reaches the exported data', () => {
    const exported = receiver.bodies.join('\n');
    for (const secret of [stack.masterKey, OPENAI_KEY, AZURE_KEY]) assert.ok(!exported.includes(secret), 'a credential was exported');
  });

  it('without an OTLP endpoint: no provider, nothing exported, no traceparent upstream', async () => {
    assert.equal(silent.gateway.tracing, null);
    const { traceparent, traceId } = newTraceparent();
    await silent.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO }, { headers: { traceparent } });
    const upstream = (await silent.journal('azure')).at(-1)!;
    assert.equal(upstream.headers.traceparent, undefined);
    // The traced gateway's exports keep flowing meanwhile; none of them is of this trace.
    await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO });
    await stack.gateway.tracing?.shutdown();
    assert.ok(!receiver.spans.some((span) => span.traceId === traceId));
  });
});
