// The request log's reads for the admin API and the dashboard: filtered newest-first pages, one row by id, and the
// bucketed counts, timings and usage of a stats window. KyselyStore delegates here; every backend runs the same SQL.
import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import { toBigInt } from './ledger-rows.ts';
import type {
  ListRequestLogsOptions,
  RequestLogCursor,
  RequestLogScanOptions,
  RequestLogRow,
  RequestStatsQuery,
  RequestStatsRecord,
  RequestTimingSample,
  UsageStatsBucket,
} from './store.ts';
import type { RequestLogTable, StoreDatabase } from './store-database.ts';

/** Newest first (created_at, then id), the rows strictly older than `before`, matching `filter`. */
export async function listRequestLogs(db: Kysely<StoreDatabase>, { limit, before, notBefore, filter }: ListRequestLogsOptions): Promise<RequestLogRow[]> {
  if (filter?.statuses?.length === 0) return [];
  let query = db.selectFrom('request_log').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit);
  if (before !== undefined) {
    const { created_at: createdAt, id } = before;
    query =
      id === undefined ? query.where('created_at', '<', createdAt) : query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(createdAt, id)));
  }
  if (notBefore !== undefined) {
    const { created_at: createdAt, id } = notBefore;
    query =
      id === undefined ? query.where('created_at', '>=', createdAt) : query.where((eb) => eb(eb.refTuple('created_at', 'id'), '>=', eb.tuple(createdAt, id)));
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

/** The `rows`-th newest row's cursor among those the filter's indexed part selects (an index range read); null when fewer. */
export async function findRequestLogScanEnd(db: Kysely<StoreDatabase>, { rows, before, filter }: RequestLogScanOptions): Promise<RequestLogCursor | null> {
  let query = db
    .selectFrom('request_log')
    .select(['created_at', 'id'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .offset(Math.max(0, rows - 1));
  if (before !== undefined) {
    const { created_at: createdAt, id } = before;
    query =
      id === undefined ? query.where('created_at', '<', createdAt) : query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(createdAt, id)));
  }
  if (filter?.tenant_id !== undefined) query = query.where('tenant_id', '=', filter.tenant_id);
  if (filter?.key_id !== undefined) query = query.where('key_id', '=', filter.key_id);
  if (filter?.since !== undefined) query = query.where('created_at', '>=', filter.since);
  if (filter?.until !== undefined) query = query.where('created_at', '<', filter.until);
  const row = await query.executeTakeFirst();
  return row === undefined ? null : { created_at: row.created_at, id: row.id };
}

/** The row with this id, of `tenant` only when given; null otherwise. */
export async function getRequestLog(db: Kysely<StoreDatabase>, id: string, tenant?: string): Promise<RequestLogRow | null> {
  let query = db.selectFrom('request_log').selectAll().where('id', '=', id);
  if (tenant !== undefined) query = query.where('tenant_id', '=', tenant);
  const record = await query.executeTakeFirst();
  return record === undefined ? null : toRequestLogRow(record);
}

/**
 * A stats window in three queries, each one pass over an index range: the requests and errors per time slot (exact),
 * the timings of the window's requests (all of them up to `sampleLimit`; past it, those whose id ends in the lowest
 * hex digits, see sampleCondition), and the usage events' tokens and money per time slot and currency (exact). Slots
 * are the instants' text prefixes (to the second for buckets under a minute, else to the minute): grouping by a
 * substring is portable and far cheaper than parsing every instant in SQL; slots fold into buckets here.
 */
export async function readRequestStats(db: Kysely<StoreDatabase>, query: RequestStatsQuery): Promise<RequestStatsRecord> {
  const since = Date.parse(query.since);
  const bucketMs = query.bucketSeconds * 1000;
  const slotLength = query.bucketSeconds < 60 ? 19 : 16;
  const bucketOf = (instant: string) => Math.floor((Date.parse(instant) - since) / bucketMs);
  const slotOf = (column: 'created_at' | 'completed_at') => sql<string>`substr(${sql.ref(column)}, 1, ${sql.lit(slotLength)})`;
  // A slot prefix back to an instant: `2026-05-15T12:34` is 12:34:00Z, `2026-05-15T12:34:56` 12:34:56Z.
  const bucketOfSlot = (slot: string) => bucketOf(`${slot}${slotLength === 16 ? ':00' : ''}Z`);

  let counts = db
    .selectFrom('request_log')
    .select((eb) => [
      slotOf('created_at').as('slot'),
      eb.fn.countAll().as('requests'),
      eb.fn.sum(eb.case().when('status', '>=', 400).then(1).else(0).end()).as('errors'),
    ])
    .where('created_at', '>=', query.since)
    .where('created_at', '<', query.until)
    .groupBy(slotOf('created_at'));
  if (query.tenant_id !== undefined) counts = counts.where('tenant_id', '=', query.tenant_id);
  const byBucket = new Map<number, { bucket: number; requests: number; errors: number }>();
  for (const row of await counts.execute()) {
    const bucket = bucketOfSlot(row.slot);
    const sums = byBucket.get(bucket) ?? { bucket, requests: 0, errors: 0 };
    // PostgreSQL counts and sums as bigint, which pg reads as a string.
    sums.requests += Number(row.requests);
    sums.errors += Number(row.errors);
    byBucket.set(bucket, sums);
  }
  const buckets = [...byBucket.values()].sort((a, b) => a.bucket - b.bucket);

  const total = buckets.reduce((sum, bucket) => sum + bucket.requests, 0);
  let rows = db
    .selectFrom('request_log')
    .select(['created_at', 'duration_ms', 'ttfb_ms', 'upstream_ms'])
    .where('created_at', '>=', query.since)
    .where('created_at', '<', query.until)
    .limit(Math.max(1, query.sampleLimit));
  if (query.tenant_id !== undefined) rows = rows.where('tenant_id', '=', query.tenant_id);
  const sampled = total > query.sampleLimit;
  if (sampled) rows = rows.where(sampleCondition(total, query.sampleLimit));
  const timings: RequestTimingSample[] = (await rows.execute()).map((row) => ({
    bucket: bucketOf(row.created_at),
    duration_ms: row.duration_ms,
    ttfb_ms: row.ttfb_ms,
    upstream_ms: row.upstream_ms,
  }));

  let usageQuery = db
    .selectFrom('usage_events')
    .select((eb) => [
      slotOf('completed_at').as('slot'),
      'currency',
      eb.fn.sum('input_tokens').as('input_tokens'),
      eb.fn.sum('output_tokens').as('output_tokens'),
      sql<string>`cast(sum(cost) as text)`.as('cost'),
      sql<string>`cast(sum(charged) as text)`.as('charged'),
    ])
    .where('completed_at', '>=', query.since)
    .where('completed_at', '<', query.until)
    .groupBy([slotOf('completed_at'), 'currency']);
  if (query.tenant_id !== undefined) usageQuery = usageQuery.where('tenant', '=', query.tenant_id);
  const usageByKey = new Map<string, UsageStatsBucket>();
  for (const row of await usageQuery.execute()) {
    const bucket = bucketOfSlot(row.slot);
    const key = `${bucket} ${row.currency}`;
    const sums = usageByKey.get(key) ?? { bucket, currency: row.currency, input_tokens: 0, output_tokens: 0, cost: 0n, charged: 0n };
    sums.input_tokens += Number(row.input_tokens);
    sums.output_tokens += Number(row.output_tokens);
    sums.cost += toBigInt(row.cost ?? '0');
    sums.charged += toBigInt(row.charged ?? '0');
    usageByKey.set(key, sums);
  }
  const usage = [...usageByKey.values()].sort((a, b) => a.bucket - b.bucket || (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
  return { buckets, timings, sampled, usage };
}

/**
 * Keeps about `limit` of `total` rows, evenly over time: request ids end in random hex digits (createTimeOrderedId),
 * so the rows whose last two digits are below a threshold are a uniform sample, chosen on the index without numbering
 * or sorting anything. The query's own limit bounds the rows read whatever the ids.
 */
function sampleCondition(total: number, limit: number): RawBuilder<boolean> {
  // Aims at 80% of the limit, so that the limit (which would cut the newest rows) is all but never reached.
  const threshold = Math.min(255, Math.max(1, Math.floor((0.8 * 256 * limit) / total)));
  return sql<boolean>`substr(id, length(id) - 1, 2) < ${threshold.toString(16).padStart(2, '0')}`;
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
    // Only on rows of agent session steps (0011).
    ...(typeof record.session_id === 'string' ? { session_id: record.session_id } : {}),
  };
}
