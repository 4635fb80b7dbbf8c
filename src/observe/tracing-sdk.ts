// The OpenTelemetry SDK behind a gateway's tracing, loaded only when an OTLP endpoint is configured: a tracer
// provider with a batch span processor and a meter provider with a periodic reader, both exporting OTLP/HTTP (JSON),
// under a resource named `crossway` (OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override it).
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { Meter, Tracer } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';

import { MAX_LINKS, type SamplerSettings, type TracingSettings } from './tracing-settings.ts';

/** The SDK parts a gateway's tracing owns. */
export interface TracingParts {
  tracer: Tracer;
  meter: Meter | null;
  shutdown(): Promise<void>;
}

/** The instrumentation scope of every span and metric. */
const SCOPE = 'crossway';

/** The gateway's tracer and meter on their own providers (not the API's globals), and how to flush and stop them. */
export async function openTracingParts(settings: TracingSettings, serviceVersion: string | undefined): Promise<TracingParts> {
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'crossway', ...(serviceVersion === undefined ? {} : { 'service.version': serviceVersion }) }))
    .merge(detectResources({ detectors: [envDetector] }));
  await resource.waitForAsyncAttributes?.();
  const tracerProvider =
    settings.tracesUrl === null
      ? null
      : new TracerProvider({
          resource,
          sampler: toSampler(settings.sampler),
          // Bounded: at most 128 attributes, links and events per span and 16 KiB per attribute value.
          spanLimits: {
            attributeCountLimit: 128,
            linkCountLimit: MAX_LINKS,
            eventCountLimit: 128,
            attributeValueLengthLimit: Math.max(1024, settings.maxContentBytes),
          },
          spanProcessors: [
            new BatchSpanProcessor({
              exporter: new DeferredSpanExporter(new OTLPTraceExporter({ url: settings.tracesUrl })),
              scheduledDelayMillis: settings.spanExportDelayMs,
              // At most this many spans wait in memory; past it new spans are dropped (the SDK counts them).
              maxQueueSize: settings.spanQueueSize,
              maxExportBatchSize: settings.spanExportBatchSize,
              exportTimeoutMillis: settings.spanExportTimeoutMs,
            }),
          ],
        });
  const meterProvider =
    settings.metricsUrl === null
      ? null
      : new MeterProvider({
          resource,
          readers: [
            new PeriodicExportingMetricReader({
              exporter: new OTLPMetricExporter({ url: settings.metricsUrl }),
              exportIntervalMillis: settings.metricExportIntervalMs,
              exportTimeoutMillis: Math.min(30_000, settings.metricExportIntervalMs),
            }),
          ],
        });
  // Without a traces endpoint the spans go nowhere: a provider with no processor records nothing (the API's no-op).
  const tracer = (tracerProvider ?? new TracerProvider({ resource, sampler: new AlwaysOffSampler() })).getTracer(SCOPE, serviceVersion);
  return {
    tracer,
    meter: meterProvider?.getMeter(SCOPE, serviceVersion) ?? null,
    async shutdown() {
      await Promise.allSettled([tracerProvider?.shutdown(), meterProvider?.shutdown()]);
    },
  };
}

/**
 * Hands each batch to the OTLP exporter in a macrotask of its own. The BatchSpanProcessor exports as soon as its
 * queue holds a full batch, synchronously inside the `span.end()` that filled it, and the OTLP exporter serialises the
 * batch there (some milliseconds for 512 spans): under load, one request in a hundred or so paid for the others'
 * spans in the middle of its own work. Deferred, serialisation runs between requests' callbacks, not inside one.
 */
export class DeferredSpanExporter implements SpanExporter {
  readonly #exporter: SpanExporter;

  constructor(exporter: SpanExporter) {
    this.#exporter = exporter;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    setImmediate(() => this.#exporter.export(spans, resultCallback));
  }

  shutdown(): Promise<void> {
    return this.#exporter.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#exporter.forceFlush?.() ?? Promise.resolve();
  }
}

function toSampler(settings: SamplerSettings): Sampler {
  const root =
    settings.root === 'always_off'
      ? new AlwaysOffSampler()
      : settings.root === 'traceidratio'
        ? new TraceIdRatioBasedSampler(settings.ratio)
        : new AlwaysOnSampler();
  return settings.parentBased ? new ParentBasedSampler({ root }) : root;
}
