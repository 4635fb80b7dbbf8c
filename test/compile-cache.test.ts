// The `crossway` command keeps Node's compile cache (bin/crossway.js): a start after the first loads compiled code
// instead of stripping and compiling the TypeScript sources again. The default directory is in the system temp
// directory, so a private TMPDIR shows whether the command turned it on.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/crossway.js', import.meta.url));
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'crossway-compile-cache-'));
after(() => fs.rmSync(directory, { recursive: true, force: true }));

function runHelp(tmp: string, extraEnv: NodeJS.ProcessEnv = {}): void {
  fs.mkdirSync(tmp, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, ...extraEnv };
  delete env.NODE_COMPILE_CACHE;
  if (!('NODE_DISABLE_COMPILE_CACHE' in extraEnv)) delete env.NODE_DISABLE_COMPILE_CACHE;
  execFileSync(process.execPath, [BIN, '--help'], { env, encoding: 'utf8', timeout: 30_000 });
}

const cacheEntries = (tmp: string): string[] => {
  const cache = path.join(tmp, 'node-compile-cache');
  return fs.existsSync(cache) ? fs.readdirSync(cache, { recursive: true }).map(String) : [];
};

describe('crossway and the compile cache', () => {
  it('turns the compile cache on, in the system temp directory', () => {
    const tmp = path.join(directory, 'on');
    runHelp(tmp);
    assert.ok(
      cacheEntries(tmp).some((entry) => entry.includes(path.sep)),
      'compiled modules are cached',
    );
  });

  it('leaves it off with NODE_DISABLE_COMPILE_CACHE=1', () => {
    const tmp = path.join(directory, 'off');
    runHelp(tmp, { NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.deepEqual(cacheEntries(tmp), []);
  });
});
