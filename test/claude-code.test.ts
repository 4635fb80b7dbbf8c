// Claude Code (the @anthropic-ai/claude-code CLI, headless) against the demo stack through the Messages front door: a
// plain turn on each route of gpt-5.5 and gpt-oss-120b, and a tool round trip (Read called, its result sent back, a
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

  const plain = [
    { model: 'gpt-5.5', provider: 'azure' },
    { model: 'gpt-5.5', provider: 'bedrock' },
    { model: 'gpt-5.5', provider: 'openai' },
    // Converse: Claude Code always sends an effort, carried as additionalModelRequestFields.reasoning_effort.
    { model: 'gpt-oss-120b', provider: 'bedrock' },
    { model: 'gpt-oss-120b', provider: 'vertex' },
  ];
  for (const { model, provider } of plain) {
    it(`answers a plain turn with ${model} on ${provider}`, async () => {
      const result = await claude('Say hello to the gateway', model, { 'x-crossway-providers-only': provider });
      assert.equal(result.is_error, false, result.result);
      // The emulator names its cloud: the forced route answered (it quotes only the start of Claude Code's user turn).
      assert.match(result.result, new RegExp(`^Emulated reply from ${provider} to \\d+ messages\\.`));
      assert.ok(result.usage.input_tokens > 0 && result.usage.output_tokens > 0);
    });
  }

  for (const model of ['gpt-5.5', 'gpt-oss-120b']) {
    it(`runs a tool round trip with ${model}: Read is called, its result goes back, a final answer comes`, async () => {
      const result = await claude('Please use the Read tool now', model);
      assert.equal(result.is_error, false, result.result);
      assert.equal(result.num_turns, 2);
      // The emulator quotes the tool's result: Claude Code ran Read (on a file that does not exist) and sent its error back.
      assert.match(result.result, /after Read returned a result .*File does not exist/);
    });
  }
});
