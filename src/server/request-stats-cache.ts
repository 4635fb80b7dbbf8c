// Keeps the settled part of recent stats windows, so that a dashboard polling GET /admin/stats every few seconds reads
// only the last minutes of rows instead of the whole window (a week: every row of it). A minute slot is settled once
// its end is SETTLE_MS in the past: request-log rows and usage events are dated when the request ends and committed by
// group commit within moments, so none lands in a settled slot afterwards.
import type { RequestStatsQuery, RequestStatsRecord, Store } from '../store/index.ts';

/** How long after a slot's end rows may still arrive for it (group commit delays, a retried batch). */
const SETTLE_MS = 60_000;

/** The grain of what is read and held: a minute (a week is 10,080 of them). */
const SLOT_MS = 60_000;

/**
 * At most this many windows are kept (per tenant, per window size), least recently used dropped first. An entry holds
 * about STATS_SAMPLE_LIMIT timings (4 numbers each) and the sums of at most 10,080 slots per currency: a few MB at
 * worst, some tens of MB in all.
 */
const MAX_ENTRIES = 8;

/** Slots of a RequestStatsRecord, dated by their start instead of an index into one query's window. */
interface SettledPart {
  buckets: (Omit<RequestStatsRecord['buckets'][number], 'bucket'> & { start: number })[];
  timings: (Omit<RequestStatsRecord['timings'][number], 'bucket'> & { start: number })[];
  usage: (Omit<RequestStatsRecord['usage'][number], 'bucket'> & { start: number })[];
  sampled: boolean;
}

interface Entry {
  /** Every bucket starting before this instant (ms) is settled and held in `settled`. */
  settledUntil: number;
  settled: SettledPart;
}

/** Stats windows read through the store, their settled buckets reused from one read to the next. */
export class RequestStatsCache {
  readonly #entries = new Map<string, Entry>();
  readonly #settleMs: number;

  constructor(settleMs = SETTLE_MS) {
    this.#settleMs = settleMs;
  }

  /**
   * What `store.readRequestStats(query)` answers at `now` (ms), reading only what is not settled and held. Reads and
   * holds slots of a minute (of the bucket, when shorter), which fold into the query's buckets on the way out, so that
   * what is read is the last minutes however long the buckets (a week's 2-hour buckets would otherwise be read whole
   * while they fill).
   */
  async read(store: Pick<Store, 'readRequestStats'>, query: RequestStatsQuery, now: number): Promise<RequestStatsRecord> {
    const since = Date.parse(query.since);
    const until = Date.parse(query.until);
    const bucketMs = query.bucketSeconds * 1000;
    const slotMs = Math.min(bucketMs, SLOT_MS);
    const key = `${query.tenant_id ?? '*'} ${query.bucketSeconds} ${until - since}`;
    const cached = this.#entries.get(key);
    // Only an entry on the same slot grid whose settled part reaches into this window saves anything.
    const usable = cached !== undefined && cached.settledUntil > since && (cached.settledUntil - since) % slotMs === 0 ? cached : undefined;
    const readFrom = usable?.settledUntil ?? since;
    const read = await store.readRequestStats({ ...query, since: new Date(readFrom).toISOString(), bucketSeconds: slotMs / 1000 });
    const fresh = toSettledPart(read, readFrom, slotMs);
    const all = usable === undefined ? fresh : concatParts(dropBefore(usable.settled, since), fresh);

    const settledUntil = Math.min(until, since + Math.max(0, Math.floor((now - this.#settleMs - since) / slotMs)) * slotMs);
    const perSlot = Math.ceil(query.sampleLimit / Math.max(1, (until - since) / slotMs));
    this.#entries.delete(key);
    this.#entries.set(key, { settledUntil, settled: capTimings(keepBefore(all, settledUntil), perSlot) });
    while (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string);
    return toRecord(all, since, bucketMs);
  }
}

function toSettledPart(record: RequestStatsRecord, since: number, bucketMs: number): SettledPart {
  const start = (bucket: number) => since + bucket * bucketMs;
  return {
    buckets: record.buckets.map(({ bucket, ...rest }) => ({ ...rest, start: start(bucket) })),
    timings: record.timings.map(({ bucket, ...rest }) => ({ ...rest, start: start(bucket) })),
    usage: record.usage.map(({ bucket, ...rest }) => ({ ...rest, start: start(bucket) })),
    sampled: record.sampled,
  };
}

/** The part as a record of the query's buckets: a bucket's slots are several entries of one bucket, which add up. */
function toRecord(part: SettledPart, since: number, bucketMs: number): RequestStatsRecord {
  const bucket = (start: number) => Math.floor((start - since) / bucketMs);
  return {
    buckets: part.buckets.map(({ start, ...rest }) => ({ ...rest, bucket: bucket(start) })),
    timings: part.timings.map(({ start, ...rest }) => ({ ...rest, bucket: bucket(start) })),
    usage: part.usage.map(({ start, ...rest }) => ({ ...rest, bucket: bucket(start) })),
    sampled: part.sampled,
  };
}

function concatParts(a: SettledPart, b: SettledPart): SettledPart {
  return {
    buckets: [...a.buckets, ...b.buckets],
    timings: [...a.timings, ...b.timings],
    usage: [...a.usage, ...b.usage],
    sampled: a.sampled || b.sampled,
  };
}

function dropBefore(part: SettledPart, instant: number): SettledPart {
  const keep = ({ start }: { start: number }) => start >= instant;
  return { buckets: part.buckets.filter(keep), timings: part.timings.filter(keep), usage: part.usage.filter(keep), sampled: part.sampled };
}

function keepBefore(part: SettledPart, instant: number): SettledPart {
  const keep = ({ start }: { start: number }) => start < instant;
  return { buckets: part.buckets.filter(keep), timings: part.timings.filter(keep), usage: part.usage.filter(keep), sampled: part.sampled };
}

/**
 * At most `perSlot` timings per slot (every k-th of a slot that has more), so that what an entry holds stays within
 * the sample limit however many reads filled it (each read of the filling slots brings up to the limit).
 */
function capTimings(part: SettledPart, perSlot: number): SettledPart {
  const byStart = Map.groupBy(part.timings, (timing) => timing.start);
  let sampled = part.sampled;
  const timings: SettledPart['timings'] = [];
  for (const group of byStart.values()) {
    if (group.length <= perSlot) {
      timings.push(...group);
      continue;
    }
    sampled = true;
    const step = group.length / perSlot;
    for (let index = 0; index < perSlot; index++) timings.push(group[Math.floor(index * step)]!);
  }
  return { ...part, timings, sampled };
}
