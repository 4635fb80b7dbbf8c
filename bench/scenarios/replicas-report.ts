// Turns the replicas scenario's measurements into its BENCHMARKS.md section: throughput and CPU per request against
// the SQLite baseline of the same run, the ceilings those CPU costs imply for a machine with more cores, the ledger's
// commit rates and the round trips to Redis per admitted call.
import { availableParallelism } from 'node:os';
import type { BenchSettings, ScenarioResult } from '../bench-types.ts';
import type { ManagedProcess } from '../child-processes.ts';
import type { LatencyRecorder } from '../latency-recorder.ts';
import type { LoadRequest } from '../load/load-request.ts';
import { formatMs, formatRate, formatRatio, safeRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';
import { renderLedgerCommits, type LedgerCommitRun } from './replicas-ledger-commit.ts';
import { renderRoundTrips, type RoundTripCount } from './replicas-round-trips.ts';

export const TITLE = 'Scale-out: replicas and workers on PostgreSQL + Redis against one Crossway on SQLite';

/** CPU seconds over a target's measured runs. */
export interface ReplicaCpu {
  /** The gateway processes serving the target (and their children: a `--workers` primary's workers), all threads. */
  gateway: number;
  /** The PostgreSQL backends of the gateways' connections. */
  postgresBackends: number;
  /** PostgreSQL's WAL writer, background writer and checkpointer (the server's, shared with its other clients). */
  postgresBackground: number;
  /** The Redis server process (shared with its other clients). */
  redis: number;
  /** The bench process driving the load. */
  loadGenerator: number;
}

/** One configuration measured: its gateways, what a client sends each, and what the rounds measured. */
export interface ReplicaTarget {
  key: string;
  label: string;
  processes: ManagedProcess[];
  requests: LoadRequest[];
  roundsRps: number[];
  latency: LatencyRecorder;
  /** Calls answered in the measured runs (CPU is divided by these). */
  completed: number;
  failed: number;
  /** Calls answered in all runs, warm-up included (checked against the ledger). */
  answered: number;
  cpu: ReplicaCpu;
}

export interface ReplicasData {
  settings: BenchSettings;
  targets: ReplicaTarget[];
  ledgerRuns: LedgerCommitRun[];
  roundTrips: RoundTripCount;
  notes: string[];
  /** Whether the Redis server's process was readable in /proc (else its CPU column reads 0). */
  redisOnThisMachine: boolean;
}

/** µs of CPU per answered call. */
function perCall(seconds: number, target: ReplicaTarget): number | null {
  return target.completed === 0 ? null : (seconds * 1e6) / target.completed;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const micros = (value: number | null) => (value === null ? 'n/a' : value.toFixed(0));

export function renderReplicasReport(data: ReplicasData): ScenarioResult {
  const { settings, targets } = data;
  const connections = Math.max(...settings.connections);
  const cores = availableParallelism();
  const baseline = targets.find((target) => target.key === 'sqlite')!;
  const rps = (target: ReplicaTarget | undefined) => (target === undefined ? null : median(target.roundsRps));
  const total = (target: ReplicaTarget) => target.cpu.gateway + target.cpu.postgresBackends + target.cpu.postgresBackground + target.cpu.redis;
  const measuredSeconds = (settings.rounds * settings.measureMs) / 1000;

  const throughputRows = targets.map((target) => {
    const summary = target.latency.summary();
    return [
      target.label,
      String(target.requests.length),
      formatRate(rps(target)),
      target.roundsRps.map((value) => formatRate(value)).join(' / '),
      formatMs(summary.p50),
      formatMs(summary.p99),
      formatRatio(rps(target), rps(baseline)),
      String(target.failed),
    ];
  });
  const cpuRows = targets.map((target) => [
    target.label,
    micros(perCall(target.cpu.gateway, target)),
    micros(perCall(target.cpu.postgresBackends, target)),
    micros(perCall(target.cpu.postgresBackground, target)),
    micros(perCall(target.cpu.redis, target)),
    micros(perCall(total(target), target)),
    formatRatio(perCall(total(target), target), perCall(total(baseline), baseline)),
    micros(perCall(target.cpu.loadGenerator, target)),
    `${Math.round(((total(target) + target.cpu.loadGenerator) / (measuredSeconds * cores)) * 100)} %`,
  ]);

  const one = targets.find((target) => target.key === 'replicas-1');
  const three = targets.find((target) => target.key === 'replicas-3');
  const sections = [
    `Each gateway is a \`crossway serve\` process on 127.0.0.1 in front of the instant upstream (\`minimal-upstream.ts\`), with the priced ` +
      "one-route catalog of `proxy-overhead`'s virtual-key target, called with a tenant's virtual key whose key and tenant have RPM and TPM limits " +
      'and a monthly budget far above what the load uses: every call is admitted (rate windows taken, both budgets reserved), priced, settled and ' +
      'committed to the ledger before its last byte. The baseline runs on a SQLite file with in-memory counters. The replicas share one ' +
      'PostgreSQL schema and one Redis key prefix made for this run (the store, the counters, the cluster bus: route health, invalidations, ' +
      'decisions); "N replicas" deals the same ' +
      `${connections} closed-loop connections round-robin over the first N of them (the others idle); \`--workers 2\` is one more gateway ` +
      'whose primary forks two workers sharing its port (the kernel spreads the connections). ' +
      `Warm-up ${settings.warmupMs / 1000} s each, then ${settings.rounds} interleaved round${settings.rounds === 1 ? '' : 's'} of ` +
      `${settings.measureMs / 1000} s, the order rotated each round; req/s is the median of the rounds, latency percentiles are over all rounds' calls.`,
    renderMarkdownTable(['Target', 'gateways', 'req/s', 'per round', 'p50 ms', 'p99 ms', '× SQLite', 'failed'], throughputRows, [
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ]),
    '### CPU per request\n\n' +
      'µs of CPU per answered call over the measured rounds, from /proc (utime + stime): the gateway processes serving the target (every ' +
      "thread, a primary's workers included); the PostgreSQL backends of the gateways' own connections (found by their `application_name` in " +
      "`pg_stat_activity`); PostgreSQL's WAL writer, background writer and checkpointer, and the Redis server" +
      `${data.redisOnThisMachine ? ' (its pid from `INFO server`)' : ' (not on this machine: 0)'}, both of which also served ` +
      'any other client of these servers meanwhile (an upper bound of this run\'s share). "Cores busy" is all of it plus the load generator ' +
      `over ${cores} cores × the measured time.\n\n` +
      renderMarkdownTable(
        [
          'Target',
          'gateway µs',
          'PostgreSQL backends µs',
          'PostgreSQL background µs',
          'Redis µs',
          'total µs',
          '× SQLite',
          'load generator µs',
          'cores busy (these processes)',
        ],
        cpuRows,
        [false, true, true, true, true, true, true, true, true],
      ),
    `### What this predicts for more cores\n\n${renderPrediction(data, cores)}`,
    `### The ledger's commit rate: PostgreSQL against SQLite\n\n${renderLedgerCommits(data.ledgerRuns)}`,
    `### Round trips to Redis per admitted call\n\n${renderRoundTrips(data.roundTrips)}`,
    data.notes.map((note) => `- ${note}`).join('\n'),
  ];
  const scripts = (data.roundTrips.counterScripts / data.roundTrips.calls).toFixed(2);
  const all = (data.roundTrips.roundTrips / data.roundTrips.calls).toFixed(2);
  return {
    title: TITLE,
    markdown: sections.join('\n\n'),
    headline: [
      `Replicas on PostgreSQL + Redis, ${cores} cores: 1 replica **${formatRatio(rps(one), rps(baseline))}×** the SQLite gateway's req/s, 3 replicas ` +
        `${formatRatio(rps(three), rps(baseline))}× (${formatRatio(rps(three), rps(one))}× one replica); CPU per call ` +
        `${formatRatio(perCall(total(one!), one!), perCall(total(baseline), baseline))}× SQLite's (gateway + PostgreSQL + Redis); ${scripts} counter ` +
        `scripts and ${all} round trips to Redis per admitted call.`,
    ],
    targets: [],
    artifacts: [],
  };
}

/**
 * Ceilings implied by the measured CPU per call, each resource's own (a gateway core, Redis's single command thread,
 * PostgreSQL's cores), as a range between the 1-replica and the 3-replica runs. Derived from this run's numbers only.
 */
function renderPrediction(data: ReplicasData, cores: number): string {
  const byKey = (key: string) => data.targets.find((target) => target.key === key);
  const baseline = byKey('sqlite');
  const one = byKey('replicas-1');
  const three = byKey('replicas-3');
  if (baseline === undefined || one === undefined || three === undefined || one.completed === 0 || three.completed === 0) return 'Not measured.';
  const costs = (target: ReplicaTarget) => ({
    gateway: perCall(target.cpu.gateway, target)!,
    postgres: perCall(target.cpu.postgresBackends + target.cpu.postgresBackground, target)!,
    redis: perCall(target.cpu.redis, target)!,
  });
  const low = costs(one);
  const high = costs(three);
  const sqliteGateway = perCall(baseline.cpu.gateway, baseline)!;
  const scaling = safeRatio(median(three.roundsRps), median(one.roundsRps));
  const rate = (micros: number) => formatRate(micros > 0 ? 1e6 / micros : null);
  const span = (a: number, b: number) => `${Math.min(a, b).toFixed(0)} to ${Math.max(a, b).toFixed(0)} µs`;
  const ceiling = (a: number, b: number) => (Math.abs(a - b) < 1 ? rate(a) : `${rate(Math.max(a, b))} to ${rate(Math.min(a, b))}`);
  const sum = (cost: ReturnType<typeof costs>) => cost.gateway + cost.postgres + cost.redis;
  return [
    `On this machine every process shares ${cores} cores: the gateways, PostgreSQL, Redis and the load generator (and whatever else runs: see ` +
      `"Load from other processes" above). 3 replicas served ${scaling === null ? 'n/a' : scaling.toFixed(2)}× one replica's req/s: once the ` +
      'cores are busy, more processes only share them, so that ratio measures the machine, not the design. What scales is read from where ' +
      `the CPU goes per call. It grows with the number of processes on ${cores} cores (total ${sum(low).toFixed(0)} µs with 1 replica, ` +
      `${sum(high).toFixed(0)} µs with 3): each process batches fewer calls per event-loop turn, per group commit and per shared-decision ` +
      'script, and the cores switch between more processes. A machine with a core per replica lies between the two, so each ceiling below is a ' +
      'range, from CPU alone (no network, no load balancer, no lock waits; the shared servers also served other clients, so their costs are ' +
      'upper bounds and their ceilings lower bounds):',
    renderMarkdownTable(
      ['Resource', 'CPU per call (1 to 3 replicas)', 'ceiling, req/s', 'scales with'],
      [
        [
          'a gateway process (one event loop plus its helper threads)',
          span(low.gateway, high.gateway),
          `${ceiling(low.gateway, high.gateway)} per core`,
          'replicas or workers: a core each',
        ],
        ['the SQLite gateway, for comparison', `${sqliteGateway.toFixed(0)} µs`, `${rate(sqliteGateway)} in all`, 'nothing: one process, one writer'],
        [
          'Redis (runs commands on one thread)',
          span(low.redis, high.redis),
          `${ceiling(low.redis, high.redis)} in all`,
          'a Redis cluster (not configured here)',
        ],
        [
          'PostgreSQL (backends and background writers)',
          span(low.postgres, high.postgres),
          `${ceiling(low.postgres, high.postgres)} per PostgreSQL core`,
          "PostgreSQL's cores (group commit shares each fsync)",
        ],
      ],
      [false, true, true, false],
    ),
    `So a machine with more cores running only gateways (PostgreSQL and Redis elsewhere) adds ${ceiling(low.gateway, high.gateway)} req/s per ` +
      `core, until Redis's single thread (${ceiling(low.redis, high.redis)} req/s) or PostgreSQL's cores (${ceiling(low.postgres, high.postgres)} ` +
      `req/s each) bind; with everything on one machine of C cores the bound is C × ${ceiling(sum(low), sum(high))} req/s (gateway, PostgreSQL ` +
      `and Redis summed, no load generator), against one SQLite process's ${rate(sqliteGateway)} req/s at most, whatever C is.`,
  ].join('\n\n');
}
