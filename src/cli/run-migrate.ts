// `crossway migrate`: brings the configured store (PostgreSQL or SQLite) to the current schema and exits, so that a
// deploy job can migrate before the replicas start (they migrate at start too, under a lock, and then find nothing to do).
import { parseArgs } from 'node:util';
import { loadCatalogFile } from '../catalog/index.ts';
import { describeStoreLocation, openStore, scrubStoreMessage, type Store } from '../store/index.ts';
import { PROCESS_OUTPUT, type CliOutput } from './cli-output.ts';
import { resolvePlanConfig } from './run-plan.ts';
import { parseOrUsage } from './usage-error.ts';

export const MIGRATE_USAGE = `Usage: crossway migrate [--config <path>]
  Runs the store's schema migrations alone and prints the schema version; exits 1 when the store cannot be reached.
  The store is the configuration's: store.postgres (or CROSSWAY_DATABASE_URL), else the SQLite file store.sqlite.
  --config <path>   crossway.yaml (default: $CROSSWAY_CONFIG, else ./crossway.yaml, else the demo catalog)
`;

/** Runs `crossway migrate …`; resolves with the exit code. */
export async function runMigrate(args: string[], output: CliOutput = PROCESS_OUTPUT): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    output.stdout.write(MIGRATE_USAGE);
    return 0;
  }
  const { values } = parseOrUsage(MIGRATE_USAGE, () => parseArgs({ args, allowPositionals: false, options: { config: { type: 'string' } } }));
  const { path, demo } = resolvePlanConfig(values.config);
  if (demo) output.stderr.write(`crossway: no crossway.yaml here; migrating the demo's store.\n`);
  // Migrating needs the store's URL only: the routes' unset credentials become placeholders instead of failing.
  const config = loadCatalogFile(path, { placeholders: true }).config.store;
  const location = describeStoreLocation(config);
  let store: Store;
  try {
    store = await openStore(config);
  } catch (error) {
    output.stderr.write(`crossway: cannot reach ${location}: ${scrubStoreMessage((error as Error).message, config)}\n`);
    return 1;
  }
  try {
    const before = await store.schemaVersion();
    await store.migrate();
    const after = await store.schemaVersion();
    output.stdout.write(
      before === after ? `${location} is at schema version ${after} (nothing to migrate)\n` : `migrated ${location} to schema version ${after}\n`,
    );
    return 0;
  } catch (error) {
    output.stderr.write(`crossway: migrating ${location} failed: ${scrubStoreMessage((error as Error).message, config)}\n`);
    return 1;
  } finally {
    await store.close();
  }
}
