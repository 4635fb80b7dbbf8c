// `crossway demo` (what `npm start` runs): local cloud emulators plus the gateway with the demo catalog,
// a SQLite file under ./.crossway/ and a master key generated once and kept there.
import { startGateway } from '../server/index.ts';
import { parsePort } from './parse-port.ts';
import { loadDemoCatalog, prepareDemo } from './prepare-demo.ts';
import { DEMO_MCP_SERVER_LABEL } from './start-demo-mcp-server.ts';
import { waitForShutdown } from './wait-for-shutdown.ts';

/** Runs until SIGINT/SIGTERM; calls `onStarted` once it listens. */
export async function runDemo(args: { port?: string; host?: string }, onStarted: () => void = () => {}): Promise<number> {
  const demo = await prepareDemo({
    dataDir: process.env.CROSSWAY_DATA_DIR ?? './.crossway',
    basePort: parsePort(process.env.CROSSWAY_EMULATOR_BASE_PORT, 'CROSSWAY_EMULATOR_BASE_PORT') ?? 4010,
    masterKey: process.env.CROSSWAY_MASTER_KEY,
  });
  try {
    const catalog = loadDemoCatalog(demo);
    const gateway = await startGateway({
      catalog,
      masterKey: demo.masterKey,
      port: parsePort(args.port, '--port'),
      host: args.host,
    });
    const emulators = Object.entries(demo.emulators.emulators).map(([name, emulator]) => `${name} ${emulator.url}`);
    process.stdout.write(banner(gateway.url, demo.masterKey, emulators, demo.dataDir, demo.mcp?.url ?? null));
    onStarted();
    await waitForShutdown();
    await gateway.close();
  } finally {
    await demo.close();
  }
  return 0;
}
function banner(url: string, key: string, emulators: string[], dataDir: string, mcpUrl: string | null): string {
  const mcp =
    mcpUrl === null
      ? '  mcp:       no demo MCP server (the MCP server SDK, a development dependency, is not installed)'
      : `  mcp:       ${mcpUrl}, registered for the tenant default as '${DEMO_MCP_SERVER_LABEL}' (add_numbers, lookup_order, get_time)`;
  return `
Crossway demo is running: ${url}
  dashboard: ${url}/ui/   (sign in with the master key below)
  catalog:   examples/crossway.demo.yaml (gpt-5.5 on Azure, Bedrock and OpenAI; gpt-oss-120b on Bedrock and Vertex AI; text-embedding-3-small)
  emulators: ${emulators.join(', ')} (local stand-ins for the clouds, no credentials needed)
${mcp}
  master key: ${key}   (kept in ${dataDir}/master-key; set CROSSWAY_MASTER_KEY to choose your own)

Try it:
  curl ${url}/v1/chat/completions \\
    -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\
    -d '{"model": "gpt-5.5", "messages": [{"role": "user", "content": "Hello from Crossway"}]}'

Or point any OpenAI client at it: OPENAI_BASE_URL=${url}/v1 OPENAI_API_KEY=${key}
Hand out a virtual key with limits:  npx crossway keys create --tenant default --budget 5/day --rpm 60
See what was spent:                  curl ${url}/admin/usage?group_by=route -H "Authorization: Bearer ${key}"
Stop with Ctrl-C.
`;
}
