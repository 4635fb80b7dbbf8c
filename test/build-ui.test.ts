// bin/build-ui.js on a copy of ui/: the build writes hashed bundles and an index.html naming them, knows when ui/
// changed since, swaps a rebuild in whole, and steps aside without esbuild or without sources.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildUi, isUiFresh } from '../bin/build-ui.js';
import { ROOT } from './support/run-crossway.ts';

describe('the dashboard build (bin/build-ui.js)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crossway-build-ui-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.cpSync(path.join(ROOT, 'ui'), path.join(root, 'ui'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  const built = (file: string) => path.join(root, 'dist', 'ui', file);
  const bundles = () => fs.readdirSync(built('assets')).sort();

  it('builds hashed bundles and an index.html that names them, with no inline script', async () => {
    assert.equal(isUiFresh(root), false);
    assert.equal(await buildUi(root), 'built');
    const html = fs.readFileSync(built('index.html'), 'utf8');
    const names = [...html.matchAll(/(?:src|href)="\/ui\/(assets\/[^"]+)"/g)].map((match) => match[1]!);
    assert.equal(names.length, 2, html);
    for (const name of names) {
      assert.match(name, /^assets\/main-[A-Z0-9]{8}\.(js|css)$/);
      assert.ok(fs.existsSync(built(name)), name);
    }
    assert.doesNotMatch(html, /<script>/);
    assert.equal(isUiFresh(root), true);
  });

  it('is stale after an edit of ui/; the rebuild gives the changed bundle a new name', async () => {
    const before = bundles();
    const file = path.join(root, 'ui', 'src', 'format.ts');
    fs.appendFileSync(file, '\nexport const EDITED = 1;\n');
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(file, later, later);
    assert.equal(isUiFresh(root), false);
    assert.equal(await buildUi(root), 'built');
    assert.equal(isUiFresh(root), true);
    const now = bundles();
    assert.notDeepEqual(now, before);
    assert.equal(now.filter((name) => before.includes(name)).length, 1, 'only the unchanged stylesheet keeps its name');
  });

  it('steps aside without esbuild (dev dependencies omitted) or without sources (the image)', async () => {
    fs.rmSync(path.join(root, 'node_modules'));
    assert.equal(await buildUi(root), 'no-esbuild');
    fs.rmSync(path.join(root, 'ui'), { recursive: true });
    assert.equal(await buildUi(root), 'no-sources');
    // Without ui/, the build that is there is the one to serve.
    assert.equal(isUiFresh(root), true);
  });
});
