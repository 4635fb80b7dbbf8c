// The request log's reads for the admin API and the dashboard: filtered newest-first pages, one row by id, and the
// bucketed counts, timings and usage of a stats window. KyselyStore delegates here; every backend runs the same SQL
// but for one expression (seconds since the epoch of an ISO text instant), which SQLite and PostgreSQL spell apart.
import { PostgresAdapter, sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import { toBigInt } from './ledger-rows.ts';
import type { ListRequestLogsOptions, RequestLogRow, RequestStatsQuery, RequestStatsRecord, RequestTimingSample, UsageStatsBucket } from './store.ts';
import type { RequestLogTable, StoreDatabase } from './store-database.ts';

/** Newest first (created_at, then id), the rows strictly older than `before`, matching `filter`. */
export async function listRequestLogs(db: Kysely<StoreDatabase>, { limit, before, filter }: ListRequestLogsOptions): Promise<RequestLogRow[]> {
  if (filter?.statuses?.length === 0) return [];
  let query = db.selectFrom('request_log').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit);
  if (before !== undefined) {
    const { created_at: createdAt, id } = before;
    query =
      id === undefined ? query.where('created_at', '<', createdAt) : query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(createdAt, id)));
  }
  if (filter !== undefined) {
    if (filter.tenant_id !== undefined) query = query.where('tenant_id', '=', filter.tenant_id);
    if (filter.key_id !== undefined) query = query.where('key_id', '=', filter.key_id);
    if (filter.model !== undefined) query = query.where('model', '=', filter.model);
    if (filter.route !== undefined) query = query.where('route', '=', filter.route);
    if (filter.endpoint !== undefined) query = query.where('endpoint', '=', filter.endpoint);
    if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('created_at', '<', filter.until);
    const statuses = filter.statuses;
    if (statuses !== undefined) {
      query = query.where((eb) =>
        eb.or(statuses.map(({ min, max }) => (min === max ? eb('status', '=', min) : eb.and([eb('status', '>=', min), eb('status', '<=', max)])))),
      );
    }
  }
  return (await query.execute()).map(toRequestLogRow);
}

/** The row with this id, of `tenant` only when given; null otherwise. */
export async function getRequestLog(db: Kysely<StoreDatabase>, id: string, tenant?: string): Promise<RequestLogRow | null> {
  let query = db.selectFrom('request_log').selectAll().where('id', '=', id);
  if (tenant !== undefined) query = query.where('tenant_id', '=', tenant);
  const record = await query.executeTakeFirst();
  return record === undefined ? null : toRequestLogRow(record);
}

/**
 * A stats window in three queries: the requests and errors per bucket (exact, grouped in SQL), the timings of the
 * window's requests (every one up to `sampleLimit`, else every k-th in time order, numbered in SQL, so that at most
 * about `sampleLimit` rows cross to JavaScript whatever the traffic), and the usage events' tokens and money per bucket
 * and currency (exact).
 */
export async function readRequestStats(db: Kysely<StoreDatabase>, query: RequestStatsQuery): Promise<RequestStatsRecord> {
  const sinceSeconds = Math.floor(Date.parse(query.since) / 1000);
  const bucketOf = (column: 'created_at' | 'completed_at') => bucketExpression(db, column, sinceSeconds, query.bucketSeconds);
  let counts = db
    .selectFrom('request_log')
    .select((eb) => [
      bucketOf('created_at').as('bucket'),
      eb.fn.countAll().as('requests'),
      eb.fn.sum(eb.case().when('status', '>=', 400).then(1).else(0).end()).as('errors'),
    ])
    .where('created_at', '>=', query.since)
    .where('created_at', '<', query.until)
    .groupBy(bucketOf('created_at'));
  if (query.tenant_id !== undefined) counts = counts.where('tenant_id', '=', query.tenant_id);
  const buckets = (await counts.execute()).map((row) => ({ bucket: Number(row.bucket), requests: Number(row.requests), errors: Number(row.errors) }));
  buckets.sort((a, b) => a.bucket - b.bucket);

  const total = buckets.reduce((sum, bucket) => sum + bucket.requests, 0);
  const every = Math.max(1, Math.ceil(total / Math.max(1, query.sampleLimit)));
  let rows = db
    .selectFrom('request_log')
    .select(['created_at', 'duration_ms', 'ttfb_ms', 'upstream_ms'])
    .where('created_at', '>=', query.since)
    .where('created_at', '<', query.until);
  if (query.tenant_id !== undefined) rows = rows.where('tenant_id', '=', query.tenant_id);
  const timed =
    every === 1
      ? await rows.limit(query.sampleLimit).execute()
      : await db
          .selectFrom(rows.select(sql<number>`row_number() over (order by created_at, id)`.as('n')).as('numbered'))
          .select(['created_at', 'duration_ms', 'ttfb_ms', 'upstream_ms'])
          .where(sql<number>`n % ${sql.lit(every)}`, '=', 0)
          .limit(query.sampleLimit)
          .execute();
  const timings: RequestTimingSample[] = timed.map((row) => ({
    bucket: Math.floor((Math.floor(Date.parse(row.created_at) / 1000) - sinceSeconds) / query.bucketSeconds),
    duration_ms: row.duration_ms,
    ttfb_ms: row.ttfb_ms,
    upstream_ms: row.upstream_ms,
  }));

  let usageQuery = db
    .selectFrom('usage_events')
    .select((eb) => [
      bucketOf('completed_at').as('bucket'),
      'currency',
      eb.fn.sum('input_tokens').as('input_tokens'),
      eb.fn.sum('output_tokens').as('output_tokens'),
      sql<string>`cast(sum(cost) as text)`.as('cost'),
      sql<string>`cast(sum(charged) as text)`.as('charged'),
    ])
    .where('completed_at', '>=', query.since)
    .where('completed_at', '<', query.until)
    .groupBy([bucketOf('completed_at'), 'currency']);
  if (query.tenant_id !== undefined) usageQuery = usageQuery.where('tenant', '=', query.tenant_id);
  const usage: UsageStatsBucket[] = (await usageQuery.execute()).map((row) => ({
    bucket: Number(row.bucket),
    currency: row.currency,
    // PostgreSQL sums integers as bigint (numeric for bigint columns), which pg reads as a string.
    input_tokens: Number(row.input_tokens),
    output_tokens: Number(row.output_tokens),
    cost: toBigInt(row.cost ?? '0'),
    charged: toBigInt(row.charged ?? '0'),
  }));
  usage.sort((a, b) => a.bucket - b.bucket || (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
  return { buckets, timings, sampled: every > 1, usage };
}

/**
 * The bucket index of an ISO text instant: whole seconds since `sinceSeconds`, divided by the bucket size. The values
 * are numbers the caller computed, inlined as literals (PostgreSQL would otherwise have to guess their types).
 */
function bucketExpression(db: Kysely<StoreDatabase>, column: 'created_at' | 'completed_at', sinceSeconds: number, bucketSeconds: number): RawBuilder<number> {
  const since = sql.lit(Math.trunc(sinceSeconds));
  const size = sql.lit(Math.trunc(bucketSeconds));
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    return sql<number>`floor((extract(epoch from cast(${sql.ref(column)} as timestamptz)) - ${since}) / ${size})`;
  }
  // SQLite: strftime('%s') reads the ISO text as UTC seconds; integer division floors (every value is >= 0 here).
  return sql<number>`((cast(strftime('%s', ${sql.ref(column)}) as integer) - ${since}) / ${size})`;
}

/** A stored row as the Store returns it; copies into a plain object (node:sqlite returns rows with a null prototype). */
export function toRequestLogRow(record: Selectable<RequestLogTable>): RequestLogRow {
  return {
    id: record.id,
    created_at: record.created_at,
    endpoint: record.endpoint,
    model: record.model,
    route: record.route,
    attempts: record.attempts,
    status: record.status,
    error_code: record.error_code,
    stream: Boolean(record.stream),
    prompt_tokens: record.prompt_tokens,
    completion_tokens: record.completion_tokens,
    cached_tokens: record.cached_tokens,
    duration_ms: record.duration_ms,
    ttfb_ms: record.ttfb_ms,
    // Only on rows of requests that made MCP calls: every other row reads as before 0010.
    ...(typeof record.mcp_calls === 'string' ? { mcp_calls: JSON.parse(record.mcp_calls) } : {}),
    tenant_id: record.tenant_id ?? null,
    key_id: record.key_id ?? null,
    decision_id: record.decision_id ?? null,
    provider: record.provider ?? null,
    upstream_ms: record.upstream_ms ?? null,
  };
}
