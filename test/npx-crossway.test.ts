// The README's `npx crossway …` run quietly with the system's npm and Node first on PATH, as a new user's shell has them
// (issue 19): npm checks `engines` against the Node that runs npm, not the project's node@24 that runs the command. A
// Node too old for Crossway still fails, loudly, when it would really run the command.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'node:test';
import { describeUnsupportedNode, MINIMUM_NODE_VERSION } from '../bin/check-node-version.js';
import { BIN, ROOT, type Run } from './support/run-crossway.ts';

/** PATH without the project's node_modules/.bin (where the test runner's node@24 sits): the system's npm and Node. */
const SYSTEM_PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((entry) => !entry.includes('node_modules'))
  .join(delimiter);

function findOnPath(name: string): string | null {
  for (const entry of SYSTEM_PATH.split(delimiter)) {
    if (entry !== '' && existsSync(join(entry, name))) return join(entry, name);
  }
  return null;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, env, timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

const npx = findOnPath('npx');
const systemNode = findOnPath('node');

describe('npx crossway with the system npm', () => {
  it('prints the help and no npm warning, from a fresh npm cache (the npx install of the checkout included)', {
    skip: npx === null ? 'no npx on the system PATH' : false,
    timeout: 240_000,
  }, async () => {
    // A fresh cache: npx installs the checkout into it as on a new machine, which is when npm checks engines.
    const cache = mkdtempSync(join(tmpdir(), 'crossway-npx-'));
    try {
      const { PATH: _path, ...rest } = process.env;
      const env = { ...rest, PATH: SYSTEM_PATH, npm_config_cache: cache, npm_config_update_notifier: 'false' };
      const result = await run(npx!, ['crossway', '--help'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^Usage: crossway <command>/);
      assert.doesNotMatch(result.stderr, /EBADENGINE/);
      assert.doesNotMatch(result.stderr, /npm warn/);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('refuses to run on a Node older than it needs, saying so', async () => {
    assert.equal(describeUnsupportedNode(MINIMUM_NODE_VERSION), null);
    assert.equal(describeUnsupportedNode('24.0.0'), null);
    assert.equal(describeUnsupportedNode('22.13.1'), null);
    assert.match(describeUnsupportedNode('22.11.0') ?? '', /Node 22\.12\.0 or later is needed, this is Node 22\.11\.0/);
    assert.match(describeUnsupportedNode('20.20.2') ?? '', /Node 24/);
    // The system Node, when it is older: the command itself fails with that message (exit 1), not with a stack.
    const version = systemNode === null ? null : (await run(systemNode, ['-p', 'process.versions.node'], { PATH: SYSTEM_PATH })).stdout.trim();
    if (systemNode === null || version === null || describeUnsupportedNode(version) === null) return;
    const result = await run(systemNode, [BIN, '--help'], { PATH: SYSTEM_PATH });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, describeUnsupportedNode(version));
  });
});
