// bin/crossway.js runs the build in dist/ only while it is the build of the sources as they are: it builds a missing or
// stale dist/ first when TypeScript is installed, and runs the sources when it is not or another start is building.
// In a stand-in project (test/support/stand-in-project.ts), so that the repository's dist/ is neither needed nor touched.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createStandInProject, type StandInProject } from './support/stand-in-project.ts';
import { ROOT } from './support/run-crossway.ts';

describe('crossway runs compiled code while it is fresh', () => {
  let project: StandInProject;
  const built = () => path.join(project.root, 'dist', 'cli', 'run-cli.js');
  // A build writes a new dist/ and renames it into place: a new inode says it happened.
  const builtInode = () => fs.statSync(built()).ino;

  before(() => {
    project = createStandInProject('v1');
  });
  after(() => project.remove());

  it('builds dist/ at the first start and runs it', async () => {
    const run = await project.run(['help']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'compiled v1 help\n');
    assert.ok(fs.existsSync(path.join(project.root, 'dist', '.source-stamp.json')));
    assert.ok(!fs.existsSync(path.join(project.root, 'dist.building')), 'the build lock is released');
  });

  it('runs a fresh dist/ without building again, long-running commands too', async () => {
    const inode = builtInode();
    const run = await project.run(['help']);
    assert.equal(run.stdout, 'compiled v1 help\n');
    // The start hands runCli the collection to run once a long-running command has started (onStarted).
    const serve = await project.run(['serve']);
    assert.equal(serve.code, 0, serve.stderr);
    assert.equal(serve.stdout, 'compiled v1 serve\n');
    assert.equal(builtInode(), inode);
  });

  it('does not rebuild for a test file, which the build leaves out', async () => {
    const inode = builtInode();
    fs.writeFileSync(path.join(project.root, 'src', 'cli', 'run-cli.test.ts'), '// not part of the build\n');
    const run = await project.run(['help']);
    assert.equal(run.stdout, 'compiled v1 help\n');
    assert.equal(builtInode(), inode);
  });

  it('rebuilds after an edit, so that the edit runs', async () => {
    project.writeCli('v2');
    const run = await project.run(['help']);
    assert.equal(run.stdout, 'compiled v2 help\n');
  });

  it('rebuilds when a source file is added or removed', async () => {
    const extra = path.join(project.root, 'src', 'cli', 'extra.ts');
    fs.writeFileSync(extra, 'export const EXTRA = 1;\n');
    await project.run(['help']);
    assert.ok(fs.existsSync(path.join(project.root, 'dist', 'cli', 'extra.js')));
    fs.rmSync(extra);
    await project.run(['help']);
    assert.ok(!fs.existsSync(path.join(project.root, 'dist', 'cli', 'extra.js')));
  });

  it('runs the sources while another start holds the build lock', async () => {
    fs.mkdirSync(path.join(project.root, 'dist.building'));
    project.writeCli('v3');
    const run = await project.run(['help']);
    fs.rmSync(path.join(project.root, 'dist.building'), { recursive: true });
    assert.equal(run.stdout, 'sources v3 help\n');
    assert.match(fs.readFileSync(built(), 'utf8'), /"v2"/, 'dist/ was left as it was');
  });

  it('runs the sources of a stale dist/ when TypeScript is not installed (npm ci --omit=dev)', async () => {
    project.linkNodeModules(false);
    try {
      project.writeCli('v4');
      const run = await project.run(['help']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'sources v4 help\n');
      assert.match(fs.readFileSync(built(), 'utf8'), /"v2"/, 'dist/ was left as it was');
    } finally {
      project.linkNodeModules(true);
    }
  });

  it('`npm run build` builds too, and says so', async () => {
    const inode = builtInode();
    const output = execFileSync(process.execPath, [path.join(project.root, 'bin', 'build-dist.js')], { cwd: project.root, encoding: 'utf8' });
    assert.match(output, /built src\/ into dist\//);
    assert.notEqual(builtInode(), inode);
    assert.match(fs.readFileSync(built(), 'utf8'), /"v4"/);
  });

  it('`prepare` (--if-possible) leaves a fresh build in place: npm runs it again on installs of the checkout (npx does)', async () => {
    const inode = builtInode();
    const script = path.join(project.root, 'bin', 'build-dist.js');
    const output = execFileSync(process.execPath, [script, '--if-possible'], { cwd: project.root, encoding: 'utf8' });
    assert.match(output, /dist\/ is the build of the sources as they are/);
    assert.equal(builtInode(), inode, 'dist/ was not replaced under whatever runs from it');
  });

  it('`npm ci` without dev dependencies still succeeds: the build steps aside', async () => {
    // An edit since the last build: there is something to build, and nothing to build it with.
    project.writeCli('v5');
    project.linkNodeModules(false);
    try {
      const script = path.join(project.root, 'bin', 'build-dist.js');
      const output = execFileSync(process.execPath, [script, '--if-possible'], { cwd: project.root, encoding: 'utf8' });
      assert.match(output, /TypeScript is not installed/);
    } finally {
      project.linkNodeModules(true);
    }
  });
});

describe('the SQLite writer thread from compiled code', () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'crossway-compiled-writer-'));
  after(() => fs.rmSync(directory, { recursive: true, force: true }));

  it('starts the compiled worker beside the compiled module', async () => {
    // The write thread and its worker only (the worker is started by URL, not imported, so it is listed too), built
    // with the project's build settings into a directory with no TypeScript in it: a worker looked up as `.ts` there
    // would not start, and the request below would reject.
    const out = path.join(directory, 'dist');
    const config = {
      extends: path.join(ROOT, 'tsconfig.build.json'),
      compilerOptions: { rootDir: path.join(ROOT, 'src'), outDir: out, noCheck: true },
      include: [],
      files: [path.join(ROOT, 'src', 'store', 'sqlite-write-thread.ts'), path.join(ROOT, 'src', 'store', 'sqlite-write-worker.ts')],
    };
    fs.writeFileSync(path.join(directory, 'tsconfig.json'), JSON.stringify(config));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(directory, 'node_modules'), 'dir');
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', directory], { encoding: 'utf8', timeout: 60_000 });
    const emitted = fs.readdirSync(out, { recursive: true }).map(String);
    assert.ok(emitted.includes(path.join('store', 'sqlite-write-worker.js')), emitted.join(', '));
    assert.ok(!emitted.some((file) => file.endsWith('.ts')));

    const { DatabaseSync } = await import('node:sqlite');
    const file = path.join(directory, 'writer.db');
    new DatabaseSync(file).close();
    const compiled = (await import(
      pathToFileURL(path.join(out, 'store', 'sqlite-write-thread.js')).href
    )) as typeof import('../src/store/sqlite-write-thread.ts');
    const thread = new compiled.SqliteWriteThread(file);
    try {
      const pragmas = await thread.readPragmas();
      assert.ok(pragmas !== null && typeof pragmas === 'object');
    } finally {
      await thread.close();
    }
  });
});
