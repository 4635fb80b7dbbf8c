// `crossway serve`: the gateway with a configuration file.
import { loadCatalogFile } from '../catalog/index.ts';
import { startGateway } from '../server/index.ts';
import { parsePort } from './parse-port.ts';
import { waitForShutdown } from './wait-for-shutdown.ts';

/** Runs until SIGINT/SIGTERM; calls `onStarted` once it listens. */
export async function runServe(args: { config?: string; port?: string; host?: string }, onStarted: () => void = () => {}): Promise<number> {
  const path = args.config ?? process.env.CROSSWAY_CONFIG ?? 'crossway.yaml';
  const catalog = loadCatalogFile(path);
  const gateway = await startGateway({
    catalog,
    masterKey: catalog.config.server.master_key?.reveal() ?? process.env.CROSSWAY_MASTER_KEY,
    port: parsePort(args.port, '--port'),
    host: args.host,
  });
  process.stdout.write(`Crossway listening on ${gateway.url} (config ${path}, ${catalog.routes.length} routes)\n`);
  onStarted();
  await waitForShutdown();
  await gateway.close();
  return 0;
}
