// `crossway keys …` and `crossway tenants …`: the admin API of a running gateway from the command line, so that a
// revocation takes effect at once in the gateway (and every replica) rather than in a file behind its back.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseBudgetShorthand } from '../tenancy/index.ts';
import { formatTable } from './format-table.ts';
import { parseOrUsage, UsageError } from './usage-error.ts';
import { PROCESS_OUTPUT, type CliOutput } from './cli-output.ts';

export const KEYS_USAGE = `Usage: crossway keys <create|list|revoke|rotate> [options]
  create --tenant <id> [--name <text>] [--models <list>] [--rpm <n>] [--tpm <n>] [--budget <amount>[/day|/month|/total]]
         [--currency USD] [--expires-at <ISO date-time>] [--admin]
                 prints the new key once (it is stored only as a hash)
  list [--tenant <id>]
  revoke <key id>
  rotate <key id>   a new secret for the same key id and settings; the old secret stops working at once
Usage: crossway tenants <create|list> [options]
  create --id <id> [--name <text>] [--rpm <n>] [--tpm <n>] [--budget <amount>[/period]] [--margin <decimal>]
  list
Common options:
  --url <url>          the gateway (default: $CROSSWAY_URL, else http://127.0.0.1:4000)
  --master-key <key>   default: $CROSSWAY_MASTER_KEY, else the demo's .crossway/master-key
  --json               print the API's JSON
`;

interface AdminConnection {
  url: string;
  key: string;
}

/** Runs `crossway keys …` or `crossway tenants …`; resolves with the exit code. */
export async function runKeys(noun: 'keys' | 'tenants', args: string[], output: CliOutput = PROCESS_OUTPUT): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    output.stdout.write(KEYS_USAGE);
    return verb === undefined ? 2 : 0;
  }
  const parsed = parseOrUsage(KEYS_USAGE, () =>
    parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        tenant: { type: 'string' },
        id: { type: 'string' },
        name: { type: 'string' },
        models: { type: 'string', multiple: true },
        rpm: { type: 'string' },
        tpm: { type: 'string' },
        budget: { type: 'string' },
        currency: { type: 'string' },
        margin: { type: 'string' },
        'expires-at': { type: 'string' },
        admin: { type: 'boolean' },
        url: { type: 'string' },
        'master-key': { type: 'string' },
        json: { type: 'boolean' },
      },
    }),
  );
  const { values, positionals } = parsed;
  const connection = resolveConnection(values.url, values['master-key']);
  const limits = {
    ...(values.rpm === undefined ? {} : { rpm: readCount(values.rpm, '--rpm') }),
    ...(values.tpm === undefined ? {} : { tpm: readCount(values.tpm, '--tpm') }),
    ...(values.budget === undefined
      ? {}
      : { budget: { ...readBudget(values.budget), ...(values.currency === undefined ? {} : { currency: values.currency }) } }),
  };
  const print = (value: unknown, table: () => string): void => {
    output.stdout.write(values.json === true ? `${JSON.stringify(value, null, 2)}\n` : table());
  };

  if (noun === 'tenants') {
    if (verb === 'create') {
      if (values.id === undefined) throw new UsageError('tenants create needs --id.');
      const tenant = await call(connection, 'POST', '/admin/tenants', {
        id: values.id,
        name: values.name ?? values.id,
        ...limits,
        ...(values.margin === undefined ? {} : { margin: values.margin }),
      });
      print(tenant, () => `created tenant ${String((tenant as { id: string }).id)}\n`);
      return 0;
    }
    if (verb === 'list') {
      const list = (await call(connection, 'GET', '/admin/tenants')) as { data: Record<string, unknown>[] };
      print(list, () =>
        formatTable([
          ['ID', 'NAME', 'RPM', 'TPM', 'BUDGET'],
          ...list.data.map((tenant) => [String(tenant.id), String(tenant.name), show(tenant.rpm), show(tenant.tpm), showBudget(tenant.budget)]),
        ]),
      );
      return 0;
    }
    throw new UsageError(`Unknown tenants command '${verb}'.\n\n${KEYS_USAGE}`);
  }

  switch (verb) {
    case 'create': {
      if (values.tenant === undefined) throw new UsageError('keys create needs --tenant.');
      const models = values.models
        ?.flatMap((item) => item.split(','))
        .map((item) => item.trim())
        .filter((item) => item !== '');
      const created = (await call(connection, 'POST', '/admin/keys', {
        tenant: values.tenant,
        ...(values.name === undefined ? {} : { name: values.name }),
        ...(models === undefined ? {} : { models }),
        ...limits,
        ...(values['expires-at'] === undefined ? {} : { expires_at: values['expires-at'] }),
        ...(values.admin === true ? { admin: true } : {}),
      })) as { id: string; key: string; tenant: string };
      print(created, () => `created key ${created.id} for tenant ${created.tenant}\n${created.key}\n(shown once: it is stored only as a hash)\n`);
      return 0;
    }
    case 'list': {
      const query = values.tenant === undefined ? '' : `?tenant=${encodeURIComponent(values.tenant)}`;
      const list = (await call(connection, 'GET', `/admin/keys${query}`)) as { data: Record<string, unknown>[] };
      print(list, () =>
        formatTable([
          ['ID', 'TENANT', 'NAME', 'PREFIX', 'MODELS', 'RPM', 'TPM', 'BUDGET', 'STATE'],
          ...list.data.map((key) => [
            String(key.id),
            String(key.tenant),
            show(key.name),
            String(key.prefix),
            Array.isArray(key.models) ? key.models.join(',') : 'all',
            show(key.rpm),
            show(key.tpm),
            showBudget(key.budget),
            key.revoked_at === null ? 'active' : 'revoked',
          ]),
        ]),
      );
      return 0;
    }
    case 'revoke':
    case 'rotate': {
      const id = positionals[0];
      if (id === undefined) throw new UsageError(`keys ${verb} needs the key id.`);
      const path = verb === 'revoke' ? `/admin/keys/${encodeURIComponent(id)}` : `/admin/keys/${encodeURIComponent(id)}/rotate`;
      const result = (await call(connection, verb === 'revoke' ? 'DELETE' : 'POST', path)) as { id: string; key?: string };
      print(result, () => (verb === 'revoke' ? `revoked key ${result.id}\n` : `rotated key ${result.id}\n${result.key ?? ''}\n(shown once)\n`));
      return 0;
    }
    default:
      throw new UsageError(`Unknown keys command '${verb}'.\n\n${KEYS_USAGE}`);
  }
}

function resolveConnection(url: string | undefined, key: string | undefined): AdminConnection {
  const base = url ?? process.env.CROSSWAY_URL ?? 'http://127.0.0.1:4000';
  let master = key ?? process.env.CROSSWAY_MASTER_KEY;
  const demoKeyFile = `${process.env.CROSSWAY_DATA_DIR ?? './.crossway'}/master-key`;
  if ((master === undefined || master === '') && existsSync(demoKeyFile)) master = readFileSync(demoKeyFile, 'utf8').trim();
  if (master === undefined || master === '') throw new UsageError('No master key: pass --master-key or set CROSSWAY_MASTER_KEY.');
  return { url: base.replace(/\/+$/, ''), key: master };
}

async function call(connection: AdminConnection, method: string, path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${connection.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${connection.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new UsageError(`cannot reach the gateway at ${connection.url}: ${(error as Error).message}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const message = (json as { error?: { message?: string } } | undefined)?.error?.message ?? text.slice(0, 500);
    throw new UsageError(`${method} ${path} failed (${response.status}): ${message}`);
  }
  return json;
}

function readBudget(text: string): ReturnType<typeof parseBudgetShorthand> {
  try {
    return parseBudgetShorthand(text);
  } catch (error) {
    throw new UsageError(`--budget: ${(error as Error).message}`);
  }
}

function readCount(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new UsageError(`${flag} must be a positive whole number.`);
  return value;
}

function show(value: unknown): string {
  return value === null || value === undefined ? '-' : String(value);
}

function showBudget(value: unknown): string {
  if (value === null || value === undefined) return '-';
  const budget = value as { limit: string; currency: string; period: string };
  return `${budget.limit} ${budget.currency}/${budget.period}`;
}
