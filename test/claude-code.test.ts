// Claude Code (the @anthropic-ai/claude-code CLI, headless) against the demo stack through the Messages front door: on
// each route of gpt-5.5 and gpt-oss-120b, a plain turn and a tool round trip (Read called, its result sent back, a
// final answer). Nothing leaves 127.0.0.1: a temporary HOME, non-essential traffic disabled, and a dead proxy for
// anything that is not the gateway.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type DemoStack, startDemoStack } from './support/start-demo-stack.ts';

const CLAUDE = fileURLToPath(new URL('../node_modules/.bin/claude', import.meta.url));
/** Each run is bounded: a hung CLI fails the test instead of holding the suite. */
const RUN_TIMEOUT_MS = 90_000;

interface ClaudeResult {
  is_error: boolean;
  result: string;
  num_turns: number;
  usage: { input_tokens: number; output_tokens: number };
}

describe('Claude Code through the Messages API', () => {
  let stack: DemoStack;
  let home: string;
  before(async () => {
    stack = await startDemoStack();
    home = mkdtempSync(join(tmpdir(), 'crossway-claude-code-'));
  });
  after(async () => {
    await stack.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** Runs `claude -p prompt` headless against the gateway and returns its JSON result. */
  function claude(prompt: string, model: string, headers: Record<string, string> = {}): Promise<ClaudeResult> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      ANTHROPIC_BASE_URL: stack.gateway.url,
      ANTHROPIC_API_KEY: stack.demo.masterKey,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      // Anything but the gateway would go through a proxy that does not exist.
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1,localhost',
    };
    const custom = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
    if (custom.length > 0) env.ANTHROPIC_CUSTOM_HEADERS = custom.join('\n');
    return new Promise((resolve, reject) => {
      execFile(
        CLAUDE,
        ['-p', prompt, '--model', model, '--output-format', 'json', '--max-turns', '4'],
        { cwd: home, env, timeout: RUN_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 },
        (error, stdout, stderr) => {
          try {
            resolve(JSON.parse(stdout) as ClaudeResult);
          } catch {
            reject(new Error(`claude failed (${error?.message ?? 'no JSON'}): ${stdout.slice(0, 500)} ${stderr.slice(0, 500)}`));
          }
        },
      );
    });
  }

  /**
   * Every route of gpt-5.5 and gpt-oss-120b in the demo catalog, forced with x-crossway-providers-only (and
   * x-crossway-regions for Azure's two regions), with the upstream path that tells the route's wire form apart.
   */
  const routes = [
    { model: 'gpt-5.5', provider: 'azure', region: 'eastus2', path: /^\/openai\/v1\/chat\/completions$/ },
    { model: 'gpt-5.5', provider: 'azure', region: 'swedencentral', path: /^\/openai\/deployments\/gpt-5\.5\/chat\/completions$/ },
    { model: 'gpt-5.5', provider: 'bedrock', region: 'us-east-2', path: /^\/openai\/v1\/chat\/completions$/ },
    { model: 'gpt-5.5', provider: 'openai', region: 'global', path: /^\/v1\/chat\/completions$/ },
    // Converse: Claude Code always sends an effort, carried as additionalModelRequestFields.reasoning_effort.
    { model: 'gpt-oss-120b', provider: 'bedrock', region: 'us-west-2', path: /^\/model\/openai\.gpt-oss-120b-1%3A0\/converse-stream$/ },
    { model: 'gpt-oss-120b', provider: 'vertex', region: 'us-central1', path: /\/endpoints\/openapi\/chat\/completions$/ },
  ];

  /** Runs Claude Code forced onto one route and checks that every model call it made went there and only there. */
  async function claudeOnRoute(prompt: string, route: (typeof routes)[number]): Promise<ClaudeResult> {
    const emulators = stack.demo.emulators.emulators;
    for (const emulator of Object.values(emulators)) emulator.clearRequests();
    const result = await claude(prompt, route.model, { 'x-crossway-providers-only': route.provider, 'x-crossway-regions': route.region });
    for (const [cloud, emulator] of Object.entries(emulators)) {
      // The Vertex emulator also issues OAuth tokens; only model calls count.
      const calls = emulator.requests().filter((entry) => entry.method === 'POST' && !entry.path.includes('token'));
      if (cloud !== route.provider) assert.deepEqual(calls, [], `${cloud} was called`);
      else {
        assert.ok(calls.length > 0, `${cloud} was not called`);
        for (const call of calls) assert.match(call.path, route.path);
      }
    }
    return result;
  }

  for (const route of routes) {
    it(`answers a plain turn with ${route.model} on ${route.provider} ${route.region}`, async () => {
      const result = await claudeOnRoute('Say hello to the gateway', route);
      assert.equal(result.is_error, false, result.result);
      // The emulator names its cloud: the forced route answered (it quotes only the start of Claude Code's user turn).
      assert.match(result.result, new RegExp(`^Emulated reply from ${route.provider} to \\d+ messages\\.`));
      assert.ok(result.usage.input_tokens > 0 && result.usage.output_tokens > 0);
    });
  }

  for (const route of routes) {
    it(`runs a tool round trip with ${route.model} on ${route.provider} ${route.region}: Read called, its result back, a final answer`, async () => {
      const result = await claudeOnRoute('Please use the Read tool now', route);
      assert.equal(result.is_error, false, result.result);
      assert.equal(result.num_turns, 2);
      // The emulator quotes the tool's result: Claude Code ran Read (on a file that does not exist) and sent its error back.
      assert.match(result.result, new RegExp(`^Emulated reply from ${route.provider} after Read returned a result .*File does not exist`));
    });
  }
});
