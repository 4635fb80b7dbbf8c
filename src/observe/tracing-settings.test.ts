import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openGatewayTracing } from './tracing.ts';
import { readTracingSettings, SPAN_EXPORT_BATCH_SIZE, SPAN_QUEUE_SIZE } from './tracing-settings.ts';

const CONFIG = { capture_content: false, max_content_bytes: 16_384 };

describe('readTracingSettings', () => {
  it('is off without an endpoint, and then no tracing is opened', async () => {
    const settings = readTracingSettings({}, CONFIG);
    assert.equal(settings.tracesUrl, null);
    assert.equal(settings.metricsUrl, null);
    assert.equal(await openGatewayTracing(settings, undefined), null);
  });

  it('appends the signal paths to the general endpoint, and takes the signal-specific ones as they are', () => {
    const general = readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, CONFIG);
    assert.equal(general.tracesUrl, 'http://collector:4318/v1/traces');
    assert.equal(general.metricsUrl, 'http://collector:4318/v1/metrics');
    const specific = readTracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom' }, CONFIG);
    assert.equal(specific.tracesUrl, 'http://traces:9999/custom');
    assert.equal(specific.metricsUrl, null);
  });

  it('takes crossway.yaml telemetry.otlp_endpoint when the environment names none; the environment wins', () => {
    const config = { ...CONFIG, otlp_endpoint: 'http://from-config:4318/' };
    assert.equal(readTracingSettings({}, config).tracesUrl, 'http://from-config:4318/v1/traces');
    assert.equal(readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318' }, config).tracesUrl, 'http://env:4318/v1/traces');
  });

  it('OTEL_SDK_DISABLED and exporters set to none turn signals off; an invalid URL is off', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    assert.equal(readTracingSettings({ ...env, OTEL_SDK_DISABLED: 'true' }, CONFIG).tracesUrl, null);
    const noTraces = readTracingSettings({ ...env, OTEL_TRACES_EXPORTER: 'none' }, CONFIG);
    assert.equal(noTraces.tracesUrl, null);
    assert.equal(noTraces.metricsUrl, 'http://collector:4318/v1/metrics');
    assert.equal(readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, CONFIG).tracesUrl, null);
  });

  it('reads the sampler, batch delay and metric interval as the specification names them', () => {
    assert.deepEqual(readTracingSettings({}, CONFIG).sampler, { root: 'always_on', parentBased: true, ratio: 1 });
    const ratio = readTracingSettings({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, CONFIG);
    assert.deepEqual(ratio.sampler, { root: 'traceidratio', parentBased: true, ratio: 0.25 });
    assert.deepEqual(readTracingSettings({ OTEL_TRACES_SAMPLER: 'always_off' }, CONFIG).sampler.root, 'always_off');
    const timed = readTracingSettings({ OTEL_BSP_SCHEDULE_DELAY: '250', OTEL_METRIC_EXPORT_INTERVAL: 'soon' }, CONFIG);
    assert.equal(timed.spanExportDelayMs, 250);
    assert.equal(timed.metricExportIntervalMs, 60_000);
  });

  it('reads the span queue, batch size and export timeout, bounded, with the batch no larger than the queue', () => {
    const defaults = readTracingSettings({}, CONFIG);
    assert.equal(defaults.spanQueueSize, SPAN_QUEUE_SIZE);
    assert.equal(defaults.spanExportBatchSize, SPAN_EXPORT_BATCH_SIZE);
    assert.equal(defaults.spanExportTimeoutMs, 30_000);
    const set = readTracingSettings({ OTEL_BSP_MAX_QUEUE_SIZE: '4096', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '256', OTEL_BSP_EXPORT_TIMEOUT: '5000' }, CONFIG);
    assert.deepEqual([set.spanQueueSize, set.spanExportBatchSize, set.spanExportTimeoutMs], [4096, 256, 5000]);
    const small = readTracingSettings({ OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 'many' }, CONFIG);
    assert.deepEqual([small.spanQueueSize, small.spanExportBatchSize], [100, 100]);
    assert.equal(readTracingSettings({ OTEL_BSP_MAX_QUEUE_SIZE: '1000000000' }, CONFIG).spanQueueSize, 65_536);
  });
});
