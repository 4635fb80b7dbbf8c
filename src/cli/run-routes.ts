// `crossway routes`: the routes of a configuration, as a table.
import { loadCatalogFile } from '../catalog/index.ts';
import { formatTable } from './format-table.ts';
import { PROCESS_OUTPUT, type CliOutput } from './cli-output.ts';

/** Prints one line per route. */
export async function runRoutes(args: { config?: string }, output: CliOutput = PROCESS_OUTPUT): Promise<number> {
  const path = args.config ?? process.env.CROSSWAY_CONFIG ?? 'crossway.yaml';
  // Listing needs no secrets: unset variables are shown as placeholders instead of failing.
  const catalog = loadCatalogFile(path, { placeholders: true });
  const rows = catalog.routes.map((route) => [
    route.id,
    route.model,
    route.provider,
    route.region,
    route.auth.type,
    route.price === undefined ? '-' : `${route.price.input}/${route.price.output} ${route.price.currency}`,
    route.endpoint,
  ]);
  const header = ['ROUTE', 'MODEL', 'PROVIDER', 'REGION', 'AUTH', 'PRICE IN/OUT per 1M', 'ENDPOINT'];
  output.stdout.write(formatTable([header, ...rows]));
  return 0;
}
