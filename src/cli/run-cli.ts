// The `crossway` command: serve, demo, emulate, routes, plan, keys, tenants, ledger, migrate.
import { parseArgs } from 'node:util';
import { CatalogError } from '../catalog/index.ts';
import { PROCESS_OUTPUT, type CliOutput } from './cli-output.ts';
import { UsageError } from './usage-error.ts';

const USAGE = `Usage: crossway <command> [options]

Commands:
  serve    Run the gateway with a configuration file
             --config <path>   crossway.yaml (default: $CROSSWAY_CONFIG or ./crossway.yaml)
             --port <n>        listen port (overrides server.port)
             --host <addr>     listen address (overrides server.host)
             --workers <n|auto>  run n worker processes sharing the port (auto: one per core); needs PostgreSQL and
                               Redis (store.postgres / CROSSWAY_DATABASE_URL, redis.url / CROSSWAY_REDIS_URL): with SQLite
                               one file has one writer process, and each worker would count limits and budgets alone
             --watch           reload the configuration when its file changes (as SIGHUP does)
           SIGHUP reloads crossway.yaml (routes, prices, policy, agreements, models) without a restart; SIGTERM stops
           gracefully (no new connections, calls in flight finish within server.shutdown_grace_ms)
  demo     Run the local cloud emulators and the gateway with the demo catalog (what \`npm start\` does)
             --port <n>        gateway port (default: $PORT or 4000)
  emulate  Run the local cloud emulators only
             --base-port <n>   first port (default 4010: openai 4010, azure 4011, bedrock 4012, vertex 4013)
             --only <list>     comma-separated clouds, e.g. openai,bedrock
  routes   List the routes of a configuration
             --config <path>   as for serve
  plan     Show which routes a request for a model would use, and why the others are rejected (crossway plan --help)
             --model <id> [--region eu] [--compliance hipaa] [--provider bedrock] [--at 2026-06-01] [--json]
  keys     Create, list, revoke and rotate virtual keys through a running gateway (crossway keys --help)
             create --tenant acme --models gpt-5.5 --budget 25/month --rpm 60
  tenants  Create and list tenants through a running gateway
  ledger   Revenue-share statements and ledger verification, read from the store (crossway ledger --help)
             statement --agreement <id> --period 2026-11 [--format csv|json]; verify
  migrate  Run the store's schema migrations alone (a deploy job) and print the schema version
             --config <path>   as for serve
  help     Show this text
`;

/** The options of `crossway serve` (deploy files are checked against them). */
export const SERVE_OPTIONS = { config: 'string', port: 'string', host: 'string', workers: 'string', watch: 'boolean' } as const;

/** What the process around a command wants to hear of it. */
export interface CliLifecycle {
  /**
   * Called once a long-running command (serve, demo, emulate) has started and listens, before it waits for shutdown:
   * bin/crossway.js then collects the start's garbage (bin/start-memory.js).
   */
  onStarted?: () => void;
}

/**
 * Runs one command; resolves with the process exit code (long-running commands resolve on shutdown). The commands that
 * print (routes, plan, keys, tenants, ledger, help) write to `output`, the process's streams by default.
 */
export async function runCli(argv: string[], output: CliOutput = PROCESS_OUTPUT, lifecycle: CliLifecycle = {}): Promise<number> {
  const onStarted = lifecycle.onStarted ?? (() => {});
  // Each command is loaded when run: `serve` must not carry the emulators, the demo or the planner's CLI in memory.
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await (await import('./run-serve.ts')).runServe(parse(rest, SERVE_OPTIONS), onStarted);
      case 'demo':
        return await (await import('./run-demo.ts')).runDemo(parse(rest, { port: 'string', host: 'string' }), onStarted);
      case 'emulate':
        return await (await import('./run-emulate.ts')).runEmulate(parse(rest, { 'base-port': 'string', only: 'string', host: 'string' }), onStarted);
      case 'routes':
        return await (await import('./run-routes.ts')).runRoutes(parse(rest, { config: 'string' }), output);
      case 'plan':
        return await (await import('./run-plan.ts')).runPlan(rest, output);
      case 'keys':
      case 'tenants':
        return await (await import('./run-keys.ts')).runKeys(command, rest, output);
      case 'ledger':
        return await (await import('./run-ledger.ts')).runLedger(rest, output);
      case 'migrate':
        return await (await import('./run-migrate.ts')).runMigrate(rest, output);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        output.stdout.write(USAGE);
        return command === undefined ? 1 : 0;
      default:
        output.stderr.write(`Unknown command '${command}'.\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof CatalogError || error instanceof UsageError) {
      output.stderr.write(`crossway: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

type ParsedOptions<T extends Record<string, 'string' | 'boolean'>> = { [K in keyof T]: (T[K] extends 'boolean' ? boolean : string) | undefined };

function parse<const T extends Record<string, 'string' | 'boolean'>>(args: string[], spec: T): ParsedOptions<T> {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [name, type] of Object.entries(spec)) options[name] = { type };
  try {
    const { values } = parseArgs({ args, options, allowPositionals: false });
    return values as ParsedOptions<T>;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
}
