// `crossway ledger statement|verify`: reads the ledger straight from the configured store (no running gateway
// needed, e.g. right after a crash and before the restart) and prints a revenue-share statement or checks every
// invariant of the ledger.
import { parseArgs } from 'node:util';
import { loadCatalogFile } from '../catalog/index.ts';
import { buildRevenueShareStatement, formatStatementCsv, verifyStoredLedger } from '../metering/index.ts';
import { describeStoreLocation, openExistingStore, StoreUnavailableError, type Store, type StoreConfig } from '../store/index.ts';
import { resolvePlanConfig } from './run-plan.ts';
import { parseOrUsage, UsageError } from './usage-error.ts';
import { PROCESS_OUTPUT, type CliOutput } from './cli-output.ts';

export const LEDGER_USAGE = `Usage: crossway ledger <statement|verify> [options]
  statement --agreement <id> --period <YYYY-MM|YYYY-MM-DD> [--format json|csv]
            the revenue-share statement of an agreement for a month or a day
  verify    checks the ledger: balances equal their transfers, debits equal credits, every event has its transfers
            and every transfer its event, no revenue share beyond its cap or term; exits 1 on any violation
  --config <path>   crossway.yaml (default: $CROSSWAY_CONFIG, else ./crossway.yaml, else the demo catalog)
The ledger is read from the store the configuration names (store.postgres or CROSSWAY_DATABASE_URL, else store.sqlite);
a store that does not exist or holds no schema is an error (exit 1), never an empty ledger.
`;

const PERIOD = /^\d{4}-\d{2}(-\d{2})?$/;

/** Runs `crossway ledger …`; resolves with the exit code. */
export async function runLedger(args: string[], output: CliOutput = PROCESS_OUTPUT): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === undefined || subcommand === '--help' || subcommand === '-h' || subcommand === 'help') {
    output.stdout.write(LEDGER_USAGE);
    return subcommand === undefined ? 2 : 0;
  }
  const { values } = parseOrUsage(LEDGER_USAGE, () =>
    parseArgs({
      args: rest,
      allowPositionals: false,
      options: { agreement: { type: 'string' }, period: { type: 'string' }, format: { type: 'string' }, config: { type: 'string' } },
    }),
  );
  const { path, demo } = resolvePlanConfig(values.config);
  if (demo) output.stderr.write(`crossway: no crossway.yaml here; reading the demo's ledger (${path}).\n`);
  // Reading the ledger needs no secrets: unset variables become placeholders instead of failing.
  const catalog = loadCatalogFile(path, { placeholders: true });
  switch (subcommand) {
    case 'statement': {
      const agreement = catalog.agreements.find((candidate) => candidate.id === values.agreement);
      if (values.agreement === undefined || agreement === undefined) {
        const known = catalog.agreements.filter((candidate) => candidate.revenue_share !== undefined).map((candidate) => candidate.id);
        throw new UsageError(`statement needs --agreement <id>, one of: ${known.join(', ') || '(none in this catalog)'}.`);
      }
      if (agreement.revenue_share === undefined) throw new UsageError(`agreement ${agreement.id} has no revenue share.`);
      if (values.period === undefined || !PERIOD.test(values.period)) throw new UsageError('statement needs --period YYYY-MM (a month) or YYYY-MM-DD (a day).');
      const format = values.format ?? 'json';
      if (format !== 'json' && format !== 'csv') throw new UsageError('--format is json or csv.');
      return withStore(catalog.config.store, output, async (store) => {
        const statement = await buildRevenueShareStatement(store, agreement, values.period as string);
        output.stdout.write(format === 'csv' ? formatStatementCsv(statement) : `${JSON.stringify(statement, null, 2)}\n`);
        return 0;
      });
    }
    case 'verify':
      return withStore(catalog.config.store, output, async (store) => {
        const violations = await verifyStoredLedger(store, catalog.agreements);
        if (violations.length === 0) {
          output.stdout.write(
            'ledger verified: balances match their transfers, debits equal credits, every event has its transfers, shares within cap and term\n',
          );
          return 0;
        }
        for (const violation of violations) output.stdout.write(`${violation.code}: ${violation.message}\n`);
        output.stdout.write(`ledger verification failed: ${violations.length} violation(s)\n`);
        return 1;
      });
    default:
      throw new UsageError(`Unknown ledger command '${subcommand}'.\n\n${LEDGER_USAGE}`);
  }
}

/**
 * Runs `run` on the store the configuration names (SQLite or PostgreSQL), which must exist and hold a ledger: a missing
 * file, an unreachable server or an empty schema fails with exit 1 and says where it looked, creating nothing.
 */
async function withStore(config: StoreConfig, output: CliOutput, run: (store: Store) => Promise<number>): Promise<number> {
  let store: Store;
  try {
    store = await openExistingStore(config);
  } catch (error) {
    if (!(error instanceof StoreUnavailableError)) throw error;
    output.stderr.write(`crossway: ${error.message}\n`);
    return 1;
  }
  try {
    output.stderr.write(`crossway: reading the ledger of ${describeStoreLocation(config)}\n`);
    return await run(store);
  } finally {
    await store.close();
  }
}
