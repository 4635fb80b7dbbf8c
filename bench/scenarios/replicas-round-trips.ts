// Round trips to Redis per admitted request, read from a gateway in this process (startGateway) that joins the
// replicas' schema and key prefix: the counters' own count of scripts sent (admission and settlement), and every
// command any of the gateway's Redis connections sent (ioredis's sendCommand, counted by name; the commands of one
// pipeline are one round trip). Nothing else in this process talks to Redis while it is measured.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { request as undiciRequest } from 'undici';
import { ADMIT_SCRIPT, SETTLE_SCRIPT } from '../../src/store/redis-counter-scripts.ts';
import type { LoadRequest } from '../load/load-request.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';

/** Calls measured, and how many at once (enough for several to share an event-loop turn, as under load). */
const CALLS = 1_000;
const CONCURRENCY = 16;
/** Calls before the count starts: the first loads each budget's spend from the ledger (one more script). */
const WARM_UP_CALLS = 20;

export interface RoundTripCount {
  calls: number;
  /** Scripts the counters sent (RedisCounters.roundTrips). */
  counterScripts: number;
  /** Every command sent, by name (scripts by which script), with the keys they named. */
  commands: Map<string, { sent: number; keys: number }>;
  roundTrips: number;
}

/**
 * Starts a gateway in this process on `config` (a parsed crossway.yaml naming the replicas' PostgreSQL schema and Redis
 * prefix), sends `CALLS` calls with `headers` (the virtual key), and counts what went to Redis meanwhile.
 */
export async function countRedisRoundTrips(config: Record<string, unknown>, call: (origin: string) => LoadRequest): Promise<RoundTripCount> {
  const { buildCatalog } = await import('../../src/catalog/index.ts');
  const { startGateway } = await import('../../src/server/index.ts');
  const { createLogger } = await import('../../src/observe/index.ts');
  const gateway = await startGateway({ catalog: buildCatalog(config, 'bench-replicas.yaml', { env: {} }), logger: createLogger({ level: 'silent' }) });
  const commands = new Map<string, { sent: number; keys: number }>();
  const pipelines = new WeakSet<object>();
  let roundTrips = 0;
  let counting = false;
  type SendCommand = (this: Redis, command: RedisCommand, stream?: object, ...rest: unknown[]) => unknown;
  const prototype = Redis.prototype as unknown as { sendCommand: SendCommand };
  const original = prototype.sendCommand;
  prototype.sendCommand = function (this: Redis, command, stream, ...rest) {
    if (counting) {
      const name = describeCommand(command);
      const entry = commands.get(name) ?? { sent: 0, keys: 0 };
      entry.sent += 1;
      entry.keys += command.name === 'eval' || command.name === 'evalsha' ? Number(command.args[1]) || 0 : 0;
      commands.set(name, entry);
      // A pipeline passes its own stream object with each of its commands: one write, one round trip for them all.
      if (stream === undefined) roundTrips += 1;
      else if (!pipelines.has(stream)) {
        pipelines.add(stream);
        roundTrips += 1;
      }
    }
    return original.call(this, command, stream, ...rest);
  };
  const scripts = () => (gateway.counters as { roundTrips?: number }).roundTrips ?? 0;
  try {
    const request = call(gateway.url);
    await sendCalls(request, WARM_UP_CALLS);
    // Let the warm-up's shared decisions and settlements leave before the count starts.
    await gateway.ledger.flush();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = scripts();
    counting = true;
    const calls = await sendCalls(request, CALLS);
    await gateway.ledger.flush();
    await new Promise((resolve) => setTimeout(resolve, 200));
    counting = false;
    return { calls, counterScripts: scripts() - before, commands, roundTrips };
  } finally {
    counting = false;
    prototype.sendCommand = original;
    await gateway.close({ graceMs: 1_000 });
  }
}

/** What ioredis's sendCommand receives (its Command: the name and the arguments). */
interface RedisCommand {
  name: string;
  args: unknown[];
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
/** The counters' scripts by their SHA-1 (the name EVALSHA sends), so that the table says which script ran. */
const COUNTER_SCRIPTS = new Map([
  [sha1(ADMIT_SCRIPT), "the counters' admission script"],
  [sha1(SETTLE_SCRIPT), "the counters' settlement script"],
]);

/**
 * `evalsha`/`eval` named by their script (and, for the counters' admission script, its key count: it takes the RPM
 * alone at authentication, 2 keys, and TPM and budgets in Limiter.admit, 4); else the command's name.
 */
function describeCommand(command: RedisCommand): string {
  if (command.name !== 'evalsha' && command.name !== 'eval') return `\`${command.name}\``;
  const [script, keys] = command.args;
  const sha = command.name === 'eval' ? sha1(String(script)) : String(script);
  const known = COUNTER_SCRIPTS.get(sha);
  if (known === undefined) return `\`${command.name}\` of another script (SHA-1 ${sha.slice(0, 8)})`;
  return `\`${command.name}\` ${known}${known.includes('admission') ? `, ${String(keys)} keys` : ''}`;
}

/** `count` calls, CONCURRENCY at a time; throws at the first that is not a 200 (the count would then be wrong). */
async function sendCalls(request: LoadRequest, count: number): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const response = await undiciRequest(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`a counted call answered ${response.statusCode}: ${text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return count;
}

/** The section's table: per admitted call, the counters' scripts, all round trips, and the commands by name. */
export function renderRoundTrips(count: RoundTripCount): string {
  const per = (value: number) => (value / count.calls).toFixed(2);
  const byName = [...count.commands].sort((a, b) => b[1].sent - a[1].sent);
  return [
    `A gateway in the bench process (\`startGateway\`) on the replicas' PostgreSQL schema and Redis prefix, ${count.calls} calls with the ` +
      `virtual key (${CONCURRENCY} at a time, after ${WARM_UP_CALLS} warm-up calls that load the budgets' spend), each admitted (RPM and TPM ` +
      'of key and tenant, both budgets reserved), priced, settled and committed. Counted: the scripts the counters sent (their own `roundTrips`), ' +
      "and every command the gateway's Redis connections sent meanwhile (ioredis's `sendCommand`, wrapped for the count: a pipeline is one round " +
      'trip), which adds what the cluster shares (decisions, announcements). A call runs the admission script twice: at authentication for ' +
      'the RPM of key and tenant alone (2 keys: a call over its RPM is refused before its body is read), then in `Limiter.admit` for the TPM ' +
      'and both budgets (4 keys), and the settlement script once. Any other script is named by its SHA-1; today that is the ' +
      "cluster's shared decisions (`src/cluster/redis-shared-decisions.ts`: one `eval` of SETs per event-loop turn, one key per decision).",
    renderMarkdownTable(
      ['Per admitted call', 'count', 'per call', 'keys per call'],
      [
        ['counter scripts (admission + settlement)', String(count.counterScripts), per(count.counterScripts), ''],
        ['all round trips to Redis', String(count.roundTrips), per(count.roundTrips), ''],
        ...byName.map(([name, entry]) => [name, String(entry.sent), per(entry.sent), per(entry.keys)]),
      ],
      [false, true, true, true],
    ),
  ].join('\n\n');
}
