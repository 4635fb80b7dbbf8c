// Whether and where the gateway exports OpenTelemetry traces and metrics, read once at start from the standard OTEL_*
// environment variables and crossway.yaml's `telemetry`. The trace SDK (3.x) reads no environment itself, so the
// variables it used to read (sampler, batch delays, export interval) are read here; the OTLP exporters still read
// their own (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, certificates).

/** Most links of a span (a ledger batch links the calls it commits); the SDK's span limit. */
export const MAX_LINKS = 128;

/** crossway.yaml's `telemetry` section, as the catalog parses it. */
export interface TelemetryConfig {
  otlp_endpoint?: string | undefined;
  capture_content: boolean;
  max_content_bytes: number;
}

/** How a trace is sampled (OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG). */
export interface SamplerSettings {
  /** `always_on`, `always_off` or `traceidratio`. */
  root: 'always_on' | 'always_off' | 'traceidratio';
  /** Follows the caller's sampled flag when a `traceparent` came (the `parentbased_*` samplers, the default). */
  parentBased: boolean;
  /** The ratio of `traceidratio` (0 to 1). */
  ratio: number;
}

/** What the gateway's telemetry does; a null URL turns that signal off. */
export interface TracingSettings {
  tracesUrl: string | null;
  metricsUrl: string | null;
  captureContent: boolean;
  maxContentBytes: number;
  sampler: SamplerSettings;
  /** Delay between span batch exports (OTEL_BSP_SCHEDULE_DELAY; 5000 ms by default). */
  spanExportDelayMs: number;
  /** Most spans waiting for export; past it new spans are dropped (OTEL_BSP_MAX_QUEUE_SIZE; see SPAN_QUEUE_SIZE). */
  spanQueueSize: number;
  /** Most spans in one export, at most the queue's size (OTEL_BSP_MAX_EXPORT_BATCH_SIZE; see SPAN_EXPORT_BATCH_SIZE). */
  spanExportBatchSize: number;
  /** How long one span export may take (OTEL_BSP_EXPORT_TIMEOUT; 30000 ms by default). */
  spanExportTimeoutMs: number;
  /** Interval between metric exports (OTEL_METRIC_EXPORT_INTERVAL; 60000 ms by default). */
  metricExportIntervalMs: number;
}

/**
 * Spans waiting for export by default: the specification's 2048 fill in a fraction of a second at a few thousand
 * requests per second (four or five spans each) while an export is in flight, and a span dropped is lost; 8192 still
 * bound the memory the queue holds (spans of a few KiB). OTEL_BSP_MAX_QUEUE_SIZE may set up to MAX_SPAN_QUEUE_SIZE.
 */
export const SPAN_QUEUE_SIZE = 8192;
const MAX_SPAN_QUEUE_SIZE = 65_536;
/**
 * Spans per export by default: the specification's 512. Smaller batches cost more CPU per span (each export has its
 * own request, resource and scope: 128 cost about 15% more per request in a micro-benchmark), and 2048 did no
 * measurably better (issue 18).
 */
export const SPAN_EXPORT_BATCH_SIZE = 512;

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads the settings. A signal-specific endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is used as it is; the general
 * one (OTEL_EXPORTER_OTLP_ENDPOINT, else `telemetry.otlp_endpoint`) gets `v1/traces` or `v1/metrics` appended, as
 * the OTLP exporter specification says. OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER
 * `none` turn a signal off.
 */
export function readTracingSettings(env: Environment, config: TelemetryConfig | undefined): TracingSettings {
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  const base = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT) ?? config?.otlp_endpoint;
  const signalUrl = (specific: string | undefined, path: string, exporter: string | undefined): string | null => {
    if (disabled || exporter?.trim().toLowerCase() === 'none') return null;
    const url = nonEmpty(specific) ?? (base === undefined ? undefined : `${base.endsWith('/') ? base : `${base}/`}${path}`);
    return url !== undefined && isHttpUrl(url) ? url : null;
  };
  const spanQueueSize = Math.min(readPositive(env.OTEL_BSP_MAX_QUEUE_SIZE, SPAN_QUEUE_SIZE), MAX_SPAN_QUEUE_SIZE);
  return {
    tracesUrl: signalUrl(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, 'v1/traces', env.OTEL_TRACES_EXPORTER),
    metricsUrl: signalUrl(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, 'v1/metrics', env.OTEL_METRICS_EXPORTER),
    captureContent: config?.capture_content === true,
    maxContentBytes: config?.max_content_bytes ?? 16 * 1024,
    sampler: readSampler(env.OTEL_TRACES_SAMPLER, env.OTEL_TRACES_SAMPLER_ARG),
    spanExportDelayMs: readPositive(env.OTEL_BSP_SCHEDULE_DELAY, 5_000),
    spanQueueSize,
    spanExportBatchSize: Math.min(readPositive(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, SPAN_EXPORT_BATCH_SIZE), spanQueueSize),
    spanExportTimeoutMs: readPositive(env.OTEL_BSP_EXPORT_TIMEOUT, 30_000),
    metricExportIntervalMs: readPositive(env.OTEL_METRIC_EXPORT_INTERVAL, 60_000),
  };
}

/** The specification's sampler names; anything else is the default, `parentbased_always_on`. */
function readSampler(name: string | undefined, argument: string | undefined): SamplerSettings {
  const ratio = Number(argument);
  const sampler: SamplerSettings = { root: 'always_on', parentBased: true, ratio: Number.isFinite(ratio) && ratio >= 0 && ratio <= 1 ? ratio : 1 };
  switch (name?.trim().toLowerCase()) {
    case 'always_on':
      return { ...sampler, parentBased: false };
    case 'always_off':
      return { ...sampler, root: 'always_off', parentBased: false };
    case 'traceidratio':
      return { ...sampler, root: 'traceidratio', parentBased: false };
    case 'parentbased_always_off':
      return { ...sampler, root: 'always_off' };
    case 'parentbased_traceidratio':
      return { ...sampler, root: 'traceidratio' };
    default:
      return sampler;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function isHttpUrl(url: string): boolean {
  try {
    const protocol = new URL(url).protocol;
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** A positive whole number of milliseconds, bounded to a day; the default when absent or invalid. */
function readPositive(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && Number.isInteger(parsed) && parsed > 0 ? Math.min(parsed, 86_400_000) : fallback;
}
