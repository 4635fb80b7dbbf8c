// The `crossway` command keeps Node's compile cache when it runs the TypeScript sources (bin/crossway.js): a start
// after the first loads compiled code instead of stripping and compiling the sources again. It runs the build in
// dist/ without it (there the cache saves no time and keeps more resident). The default directory is in the system temp
// directory, so a private TMPDIR shows whether the command turned it on. In a stand-in project
// (test/support/stand-in-project.ts), whose dist/ the test controls.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createStandInProject, type StandInProject } from './support/stand-in-project.ts';

let project: StandInProject;

async function runHelp(name: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  const tmp = path.join(project.root, 'tmp', name);
  fs.mkdirSync(tmp, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, ...extraEnv };
  delete env.NODE_COMPILE_CACHE;
  if (!('NODE_DISABLE_COMPILE_CACHE' in extraEnv)) delete env.NODE_DISABLE_COMPILE_CACHE;
  const run = await project.run(['--help'], env);
  assert.equal(run.code, 0, run.stderr);
  return run.stdout;
}

const cacheEntries = (name: string): string[] => {
  const cache = path.join(project.root, 'tmp', name, 'node-compile-cache');
  return fs.existsSync(cache) ? fs.readdirSync(cache, { recursive: true }).map(String) : [];
};

describe('crossway and the compile cache', () => {
  before(() => {
    project = createStandInProject('v1');
  });
  after(() => project.remove());

  describe('running the sources (no dist/, and no TypeScript to build it)', () => {
    before(() => project.linkNodeModules(false));
    after(() => project.linkNodeModules(true));

    it('turns the compile cache on, in the system temp directory', async () => {
      assert.match(await runHelp('on'), /^sources /);
      assert.ok(
        cacheEntries('on').some((entry) => entry.includes(path.sep)),
        'compiled modules are cached',
      );
    });

    it('leaves it off with NODE_DISABLE_COMPILE_CACHE=1', async () => {
      assert.match(await runHelp('off', { NODE_DISABLE_COMPILE_CACHE: '1' }), /^sources /);
      assert.deepEqual(cacheEntries('off'), []);
    });
  });

  it('leaves it off when it runs the build in dist/', async () => {
    // Built first, in a start of its own: tsc keeps a compile cache of its own.
    assert.match((await project.run(['--help'])).stdout, /^compiled /);
    assert.match(await runHelp('compiled'), /^compiled /);
    assert.deepEqual(cacheEntries('compiled'), []);
  });
});
