// The exporter wrapper of the gateway's span pipeline, driven by the SDK's own BatchSpanProcessor and TracerProvider.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, InMemorySpanExporter, type ReadableSpan, TracerProvider } from '@opentelemetry/sdk-trace';
import { DeferredSpanExporter } from './tracing-sdk.ts';

describe('DeferredSpanExporter', () => {
  it('exports a full batch after the span.end() that filled it returned, not inside it', async () => {
    const received = new InMemorySpanExporter();
    const exported: number[] = [];
    const recording = {
      export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
        exported.push(spans.length);
        received.export(spans, done);
      },
      shutdown: () => received.shutdown(),
    };
    const provider = new TracerProvider({
      spanProcessors: [new BatchSpanProcessor({ exporter: new DeferredSpanExporter(recording), maxExportBatchSize: 2, scheduledDelayMillis: 60_000 })],
    });
    const tracer = provider.getTracer('test');
    tracer.startSpan('first').end();
    // The batch is full: the processor hands it over now, and the export itself waits for a macrotask of its own.
    tracer.startSpan('second').end();
    assert.deepEqual(exported, []);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(exported, [2]);
    assert.deepEqual(
      received.getFinishedSpans().map((span) => span.name),
      ['first', 'second'],
    );
    await provider.shutdown();
  });

  it('flushes what is queued through the wrapped exporter at shutdown, then shuts it down', async () => {
    const events: string[] = [];
    const recording = {
      export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
        events.push(...spans.map((span) => span.name));
        done({ code: ExportResultCode.SUCCESS });
      },
      async shutdown() {
        events.push('shutdown');
      },
    };
    const provider = new TracerProvider({
      spanProcessors: [new BatchSpanProcessor({ exporter: new DeferredSpanExporter(recording), scheduledDelayMillis: 60_000 })],
    });
    provider.getTracer('test').startSpan('last').end();
    await provider.shutdown();
    assert.deepEqual(events, ['last', 'shutdown']);
  });
});
