// UiAssets against a build directory made here: what is served, with which headers, what never is, and a new build
// taking over without a restart.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NotFoundError } from '../wire/index.ts';
import { UiAssets } from './handle-ui.ts';

function text(body: Uint8Array | string): string {
  return typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
}

describe('UiAssets', () => {
  const root = mkdtempSync(join(tmpdir(), 'crossway-ui-assets-'));
  const build = join(root, 'ui');
  after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(build, 'assets'), { recursive: true });
  writeFileSync(join(build, 'index.html'), '<!doctype html><title>one</title>');
  writeFileSync(join(build, 'assets', 'main-ABC123.js'), 'console.log(1)');
  writeFileSync(join(build, 'assets', 'main-ABC123.css'), 'body{}');
  writeFileSync(join(build, '.source-stamp.json'), '{"sha256":"x"}');
  writeFileSync(join(build, 'notes.txt'), 'not a type the dashboard serves');
  writeFileSync(join(root, 'secret.json'), '{"secret":true}');
  const assets = new UiAssets(build);

  it('serves index.html (no-cache) for /ui and for every app route, with the security headers', async () => {
    for (const rest of ['', 'requests', 'requests/req_1']) {
      const answer = await assets.answer(rest);
      assert.equal(answer.status, 200, rest);
      assert.equal(text(answer.body), '<!doctype html><title>one</title>');
      assert.equal(answer.headers['cache-control'], 'no-cache');
      assert.equal(answer.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(answer.headers['content-security-policy'] ?? '', /^default-src 'self'; script-src 'self';/);
      assert.equal(answer.headers['x-frame-options'], 'DENY');
      assert.equal(answer.headers['x-content-type-options'], 'nosniff');
    }
  });

  it('serves hashed assets as immutable, with their type', async () => {
    const script = await assets.answer('assets/main-ABC123.js');
    assert.equal(text(script.body), 'console.log(1)');
    assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(script.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal((await assets.answer('assets/main-ABC123.css')).headers['content-type'], 'text/css; charset=utf-8');
  });

  const refused: [string, string][] = [
    ['a file not in the build', 'assets/other.js'],
    ['a dot file of the build', '.source-stamp.json'],
    ['a file of a type it does not serve', 'notes.txt'],
    ['a path out of the build', '../secret.json'],
    ['a path out of the build through assets/', 'assets/../../secret.json'],
    ['an absolute path', '/etc/passwd.json'],
  ];
  for (const [what, rest] of refused) {
    it(`answers 404 for ${what}`, async () => {
      await assert.rejects(assets.answer(rest), NotFoundError);
    });
  }

  it('says the dashboard is not built (503) when there is no build', async () => {
    const missing = await new UiAssets(join(root, 'missing')).answer('');
    assert.equal(missing.status, 503);
    assert.match(text(missing.body), /npm run build/);
    assert.match(missing.headers['content-security-policy'] ?? '', /default-src 'self'/);
  });

  it('keeps serving the last build it read while the directory is being replaced', async () => {
    const moving = join(root, 'moving');
    mkdirSync(moving);
    writeFileSync(join(moving, 'index.html'), '<!doctype html><title>kept</title>');
    const kept = new UiAssets(moving);
    assert.equal(text((await kept.answer('')).body), '<!doctype html><title>kept</title>');
    rmSync(moving, { recursive: true });
    assert.equal(text((await kept.answer('')).body), '<!doctype html><title>kept</title>');
  });

  it('serves a new build once index.html changed, without a restart', async () => {
    writeFileSync(join(build, 'index.html'), '<!doctype html><title>two</title>');
    // A later modification time, whatever the file system's resolution.
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(build, 'index.html'), later, later);
    assert.equal(text((await assets.answer('')).body), '<!doctype html><title>two</title>');
  });
});
