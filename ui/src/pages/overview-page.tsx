// Overview: traffic, errors, latency and overhead percentiles, tokens and spend over a chosen window, from
// GET /admin/stats, refreshed every 5 seconds. Figures and charts are only ever those of the window the select shows:
// between a change of window and its answer, the page says it is loading instead of drawing the old window's data.
import { useState } from 'preact/hooks';
import { type User, api, query } from '../api.ts';
import { Chart } from '../chart.tsx';
import { ErrorNotice, Metric, Page, Updated } from '../components.tsx';
import { formatCount, formatMoney, formatMoneyTick, formatMs, formatPercent } from '../format.ts';
import { usePoll } from '../use-poll.ts';

interface StatsFields {
  requests: number;
  errors: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  overhead_p50_ms: number | null;
  overhead_p95_ms: number | null;
  ttfb_p50_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  cost: Record<string, string>;
}

interface Stats {
  window: string;
  bucket_seconds: number;
  buckets: (StatsFields & { t: string })[];
  totals: StatsFields;
}

const WINDOWS = [
  ['15m', '15 minutes'],
  ['1h', '1 hour'],
  ['6h', '6 hours'],
  ['24h', '24 hours'],
  ['7d', '7 days'],
] as const;

const COLORS = { blue: '#3563e9', red: '#d6453d', violet: '#7a4fd6', teal: '#168a7a', amber: '#c98a12', grey: '#8a93a3' };

/** The first currency of a cost map (USD first when there). */
function mainCurrency(cost: Record<string, string> | undefined): string {
  const currencies = Object.keys(cost ?? {});
  return currencies.includes('USD') ? 'USD' : (currencies[0] ?? 'USD');
}

/** The window last chosen: kept while the dashboard is open, so that coming back to the page keeps it. */
let chosenWindow = '1h';

export function OverviewPage(props: { user: User }) {
  const [span, setSpan] = useState(chosenWindow);
  const stats = usePoll(() => api<Stats>('GET', `/admin/stats${query({ window: span })}`), span, 5000);
  // The answer of the window asked for, or nothing yet: the last window's answer stays on screen for a moment after a
  // change (until the poll's effect runs), and must not pass for the new one.
  const data = stats.data?.window === span ? stats.data : null;
  const label = WINDOWS.find(([value]) => value === span)?.[1] ?? span;
  const times = data?.buckets.map((bucket) => Date.parse(bucket.t) / 1000) ?? [];
  const column = (pick: (bucket: StatsFields) => number | null) => data?.buckets.map(pick) ?? [];
  const currency = mainCurrency(data?.totals.cost);
  const step = data?.bucket_seconds ?? 60;
  const totals = data?.totals;

  return (
    <Page
      title="Overview"
      lead={props.user.role === 'admin' ? 'Every tenant, live.' : `Tenant ${props.user.tenant_id ?? ''}, live.`}
      actions={
        <>
          <label class="inline-field">
            <span>Window</span>
            <select
              name="window"
              value={span}
              onChange={(event) => {
                chosenWindow = event.currentTarget.value;
                setSpan(chosenWindow);
              }}
            >
              {WINDOWS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <Updated at={stats.updatedAt} loading={stats.loading} />
        </>
      }
    >
      <ErrorNotice error={stats.error} what="request statistics (/admin/stats)" />
      {totals === undefined ? null : (
        <div class="metrics">
          <Metric label="Requests" value={formatCount(totals.requests, true)} />
          <Metric
            label="Error rate"
            value={totals.requests === 0 ? '—' : formatPercent(totals.errors / totals.requests)}
            detail={`${formatCount(totals.errors)} ${totals.errors === 1 ? 'error' : 'errors'}`}
          />
          <Metric label="Latency p95" value={formatMs(totals.p95_ms)} detail={`p50 ${formatMs(totals.p50_ms)}`} />
          <Metric label="Gateway overhead p95" value={formatMs(totals.overhead_p95_ms)} detail={`p50 ${formatMs(totals.overhead_p50_ms)}`} />
          <Metric
            label="Tokens"
            value={formatCount(totals.input_tokens + totals.output_tokens, true)}
            detail={`${formatCount(totals.output_tokens, true)} out`}
          />
          <Metric label="Spend" value={formatMoney(totals.cost[currency] ?? '0', currency)} detail={currency} />
        </div>
      )}
      {data === null ? (
        stats.error === null ? (
          <p class="empty" aria-busy="true">
            Loading the last {label}…
          </p>
        ) : null
      ) : (
        <div class="charts" data-window={data.window}>
          <Chart
            title="Traffic"
            times={times}
            step={step}
            counts
            unit={(value) => formatCount(value, true)}
            summary={`${totals?.requests ?? 0} requests, ${totals?.errors ?? 0} errors`}
            series={[
              { label: 'Requests', color: COLORS.blue, values: column((bucket) => bucket.requests), bars: true },
              { label: 'Errors', color: COLORS.red, values: column((bucket) => bucket.errors), bars: true },
            ]}
          />
          <Chart
            title="Latency"
            times={times}
            step={step}
            unit={formatMs}
            summary={[
              `p50 ${formatMs(totals?.p50_ms)}, p95 ${formatMs(totals?.p95_ms)}, p99 ${formatMs(totals?.p99_ms)}`,
              `time to first token p50 ${formatMs(totals?.ttfb_p50_ms)}`,
            ].join(', ')}
            series={[
              { label: 'p50', color: COLORS.teal, values: column((bucket) => bucket.p50_ms) },
              { label: 'p95', color: COLORS.blue, values: column((bucket) => bucket.p95_ms) },
              // With a few requests a bucket, p99 is often p95: dashed, so that neither hides the other.
              { label: 'p99', color: COLORS.violet, values: column((bucket) => bucket.p99_ms), dash: [5, 4] },
              { label: 'First token p50', color: COLORS.grey, values: column((bucket) => bucket.ttfb_p50_ms) },
            ]}
          />
          <Chart
            title="Gateway overhead"
            times={times}
            step={step}
            unit={formatMs}
            summary={`p50 ${formatMs(totals?.overhead_p50_ms)}, p95 ${formatMs(totals?.overhead_p95_ms)}`}
            // Milliseconds beside the upstream's hundreds: on its own chart, time to first token (an upstream figure) is on Latency.
            series={[
              { label: 'p50', color: COLORS.teal, values: column((bucket) => bucket.overhead_p50_ms) },
              { label: 'p95', color: COLORS.amber, values: column((bucket) => bucket.overhead_p95_ms) },
            ]}
          />
          <Chart
            title="Tokens"
            times={times}
            step={step}
            counts
            unit={(value) => formatCount(value, true)}
            summary={`${totals?.input_tokens ?? 0} input, ${totals?.output_tokens ?? 0} output tokens`}
            series={[
              { label: 'Input', color: COLORS.blue, values: column((bucket) => bucket.input_tokens), bars: true },
              { label: 'Output', color: COLORS.violet, values: column((bucket) => bucket.output_tokens), bars: true },
            ]}
          />
          <Chart
            title={`Spend (${currency})`}
            times={times}
            step={step}
            unit={(value) => formatMoney(value, currency)}
            tick={(value) => formatMoneyTick(value, currency)}
            summary={`${formatMoney(totals?.cost[currency] ?? '0', currency)} in the window`}
            series={[{ label: 'Cost', color: COLORS.teal, values: column((bucket) => Number(bucket.cost?.[currency] ?? 0)), bars: true }]}
          />
        </div>
      )}
    </Page>
  );
}
