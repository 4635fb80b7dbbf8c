// `crossway plan`: what the planner decides for a model under given constraints on a given date, without sending a
// request, as a table or as the decision JSON that GET /v1/crossway/decisions/{id} serves (without attempts).
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCatalogFile, type Capability, type Catalog, type Constraints } from '../catalog/index.ts';
import { describeEmptyPlan, type Plan } from '../policy/index.ts';
import { explainPlan, planQuestion } from '../calls/index.ts';
import { formatTable } from './format-table.ts';
import { DEMO_CATALOG_PATH } from './prepare-demo.ts';
import { parseOrUsage, UsageError } from './usage-error.ts';
import { PROCESS_OUTPUT, type CliOutput } from './cli-output.ts';

export const PLAN_USAGE = `Usage: crossway plan --model <id> [options]
  --model <id>          the model (or alias) to plan for
  --region <list>       allowed regions or data zones (repeatable or comma-separated), e.g. eu
  --compliance <list>   required compliance tags, e.g. hipaa
  --provider <list>     only these providers (providers.only), e.g. bedrock
  --tools, --vision     the request uses tools / image inputs
  --at <date>           plan for this date (YYYY-MM-DD, midnight UTC) or ISO datetime; default now
  --json                print the decision JSON instead of a table
  --config <path>       crossway.yaml (default: $CROSSWAY_CONFIG, else ./crossway.yaml, else the demo catalog)
`;

/** A `crossway plan` command line, parsed. */
export interface PlanCommand {
  model: string;
  /** The constraints the flags ask for; the catalog's policy is merged in when planning. */
  constraints: Constraints;
  capabilities: Capability[];
  at: Date;
  json: boolean;
  config: string | undefined;
}

/** Parses the arguments after `plan`; throws UsageError on anything it cannot use. */
export function parsePlanArgs(args: string[], now: () => Date = () => new Date()): PlanCommand {
  const { values } = parseOrUsage(PLAN_USAGE, () =>
    parseArgs({
      args,
      allowPositionals: false,
      options: {
        model: { type: 'string' },
        region: { type: 'string', multiple: true },
        compliance: { type: 'string', multiple: true },
        provider: { type: 'string', multiple: true },
        tools: { type: 'boolean' },
        vision: { type: 'boolean' },
        at: { type: 'string' },
        json: { type: 'boolean' },
        config: { type: 'string' },
      },
    }),
  );
  if (values.model === undefined || values.model === '') throw new UsageError(`plan needs --model.\n\n${PLAN_USAGE}`);
  const constraints: Constraints = {};
  const regions = splitList(values.region);
  const compliance = splitList(values.compliance);
  const providers = splitList(values.provider);
  if (regions.length > 0) constraints.regions = regions;
  if (compliance.length > 0) constraints.compliance = compliance;
  if (providers.length > 0) constraints.providers = { only: providers };
  const capabilities: Capability[] = [];
  if (values.tools === true) capabilities.push('tools');
  if (values.vision === true) capabilities.push('vision');
  return {
    model: values.model,
    constraints,
    capabilities,
    at: values.at === undefined ? now() : parseAt(values.at),
    json: values.json === true,
    config: values.config,
  };
}

/** Which configuration to plan against, and whether it is the demo fallback. */
export function resolvePlanConfig(
  given: string | undefined,
  env: Record<string, string | undefined> = process.env,
  exists: (path: string) => boolean = existsSync,
): { path: string; demo: boolean } {
  if (given !== undefined) return { path: given, demo: false };
  const fromEnv = env.CROSSWAY_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return { path: fromEnv, demo: false };
  if (exists('crossway.yaml')) return { path: 'crossway.yaml', demo: false };
  return { path: DEMO_CATALOG_PATH, demo: true };
}

/** Runs `crossway plan`; resolves with the exit code (0 also when no route is kept: the plan says why). */
export async function runPlan(args: string[], output: CliOutput = PROCESS_OUTPUT): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    output.stdout.write(PLAN_USAGE);
    return 0;
  }
  const command = parsePlanArgs(args);
  const { path, demo } = resolvePlanConfig(command.config);
  if (demo) output.stderr.write(`crossway: no crossway.yaml here; planning against the demo catalog (${path}).\n`);
  // Planning needs no secrets: unset variables become placeholders instead of failing.
  const catalog = loadCatalogFile(path, { placeholders: true });
  const plan = planFor(catalog, command);
  if (command.json) {
    output.stdout.write(`${JSON.stringify(explainPlan(plan), null, 2)}\n`);
  } else {
    output.stdout.write(formatPlan(plan));
  }
  return 0;
}

function planFor(catalog: Catalog, command: PlanCommand): Plan {
  const plan = planQuestion(catalog, command);
  if (plan === null) {
    const known = catalog.models.map((model) => model.id).join(', ');
    throw new UsageError(`unknown model '${command.model}' (this catalog has: ${known}).`);
  }
  return plan;
}

/** The plan as text: a heading, the kept routes in order, then the rejected ones with every reason. */
export function formatPlan(plan: Plan): string {
  const constraints = describeConstraints(plan.constraints);
  let text = `Plan for ${plan.model} at ${plan.at}\nConstraints: ${constraints === '' ? 'none' : constraints}\n\n`;
  if (plan.kept.length === 0) {
    const error = describeEmptyPlan(plan);
    text +=
      `Kept: none. A request would be refused with ${error.status} ` +
      `${error.code}${plan.rejected.length > 0 ? '; the reasons follow' : ': the model has no routes'}.\n`;
  } else {
    text += 'Kept (tried in this order):\n';
    text += formatTable([
      ['RANK', 'ROUTE', 'PROVIDER', 'REGION', 'BASIS'],
      ...plan.kept.map(({ route, rank, basis }) => [String(rank), route.id, route.provider, route.region, basis]),
    ]);
  }
  if (plan.rejected.length > 0) {
    text += '\nRejected:\n';
    text += formatTable([
      ['ROUTE', 'PROVIDER', 'REGION', 'REASONS'],
      ...plan.rejected.map(({ route, reasons }) => [
        route.id,
        route.provider,
        route.region,
        reasons.map(({ code, detail }) => `${code}: ${detail}`).join('; '),
      ]),
    ]);
  }
  return text;
}

/** `{regions: ['eu'], providers: {only: ['azure']}}` -> `regions=eu providers.only=azure`. */
function describeConstraints(value: object, prefix = ''): string {
  const parts: string[] = [];
  for (const [key, entry] of Object.entries(value)) {
    if (entry === undefined) continue;
    const name = `${prefix}${key}`;
    if (Array.isArray(entry)) parts.push(`${name}=${entry.join(',')}`);
    else if (typeof entry === 'object' && entry !== null) parts.push(describeConstraints(entry, `${name}.`));
    else parts.push(`${name}=${String(entry)}`);
  }
  return parts.filter((part) => part !== '').join(' ');
}

function splitList(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((value) => value.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

const AT = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)?(Z|[+-]\d{2}:\d{2})?$/;

/** `--at`: a bare date is midnight UTC (as the catalog reads its dates); a datetime without an offset is UTC too. */
export function parseAt(text: string): Date {
  const match = AT.exec(text);
  const [, day, time, offset] = match ?? [];
  // Date() rolls 2026-02-30 over to March 2; a day that is not on the calendar is a typo, not a plan.
  const midnight = new Date(`${day}T00:00:00Z`);
  const realDay = day !== undefined && !Number.isNaN(midnight.getTime()) && midnight.toISOString().startsWith(day);
  const at = new Date(`${day}${time ?? 'T00:00:00'}${offset ?? 'Z'}`);
  if (!realDay || (time === undefined && offset !== undefined) || Number.isNaN(at.getTime())) {
    throw new UsageError(`--at: '${text}' is not a date (YYYY-MM-DD) or an ISO datetime (YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]).`);
  }
  return at;
}
