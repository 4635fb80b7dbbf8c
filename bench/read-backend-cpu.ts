// CPU time of the shared backends a scale-out run leans on, read the same way as the gateway's (/proc, proc(5)): the
// PostgreSQL backends serving the bench's own connections (found by their application_name in pg_stat_activity), the
// PostgreSQL server's background writers, and the Redis server (its pid from INFO server). Both servers may serve
// other clients meanwhile: only the backends are the bench's alone, and reports say so.
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import type { Redis } from 'ioredis';

/** proc(5): utime and stime are in clock ticks of 1/USER_HZ s; USER_HZ is 100 on Linux. */
const USER_HZ = 100;
/** The server's own processes whose work every client's writes cause (WAL flushes, dirty pages, checkpoints). */
const BACKGROUND_TYPES = ['walwriter', 'background writer', 'checkpointer'];

/** CPU seconds a process used so far (user + system, all its threads); 0 when it is gone or /proc is unreadable. */
export function readProcessCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name in parentheses may hold spaces; the fields after it are space-separated (field 3 is the first).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return 0;
  }
}

/** CPU seconds per group at one moment, with the pids they were read from (a backend may come or go between two). */
export interface BackendCpuSnapshot {
  postgresBackends: Map<number, number>;
  postgresBackground: Map<number, number>;
  redis: Map<number, number>;
}

/** CPU seconds per group between two snapshots. */
export interface BackendCpu {
  postgresBackends: number;
  postgresBackground: number;
  redis: number;
}

/** Reads the backends' CPU through an admin connection to the PostgreSQL server and a client of the Redis server. */
export class BackendCpuReader {
  readonly #postgres: pg.Client;
  readonly #applicationName: string;
  #redisPid: number | null = null;
  readonly #redis: Redis;

  /** `applicationName`: what the measured gateways' connection URL sets (`?application_name=`). */
  constructor(postgres: pg.Client, redis: Redis, applicationName: string) {
    this.#postgres = postgres;
    this.#redis = redis;
    this.#applicationName = applicationName;
  }

  /** The pid of the Redis server (null when it is not on this machine's /proc, e.g. in a container elsewhere). */
  async redisPid(): Promise<number | null> {
    if (this.#redisPid === null) {
      const info = await this.#redis.info('server');
      const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
      this.#redisPid = Number.isInteger(pid) && readProcessCpuSeconds(pid) > 0 ? pid : null;
    }
    return this.#redisPid;
  }

  async snapshot(): Promise<BackendCpuSnapshot> {
    const { rows } = await this.#postgres.query<{ pid: number; kind: string }>(
      `select pid, case when application_name = $1 then 'mine' else 'background' end as kind from pg_stat_activity
        where application_name = $1 or backend_type = any($2::text[])`,
      [this.#applicationName, BACKGROUND_TYPES],
    );
    const read = (pids: number[]) => new Map(pids.map((pid) => [pid, readProcessCpuSeconds(pid)]));
    const redisPid = await this.redisPid();
    return {
      postgresBackends: read(rows.filter((row) => row.kind === 'mine').map((row) => row.pid)),
      postgresBackground: read(rows.filter((row) => row.kind === 'background').map((row) => row.pid)),
      redis: read(redisPid === null ? [] : [redisPid]),
    };
  }
}

/** `after - before` per group: a process absent before counts from zero; one gone after is lost (a short undercount). */
export function subtractBackendCpu(after: BackendCpuSnapshot, before: BackendCpuSnapshot): BackendCpu {
  const difference = (now: Map<number, number>, then: Map<number, number>) => {
    let seconds = 0;
    for (const [pid, value] of now) seconds += Math.max(0, value - (then.get(pid) ?? 0));
    return seconds;
  };
  return {
    postgresBackends: difference(after.postgresBackends, before.postgresBackends),
    postgresBackground: difference(after.postgresBackground, before.postgresBackground),
    redis: difference(after.redis, before.redis),
  };
}
