// Tests of the Google authenticator: caching, early refresh, shared refreshes and failures with a fake client and
// clock; then the real google-auth-library against the Vertex emulator's token endpoint, from a key file on disk.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GoogleAuth } from 'google-auth-library';
import { createEmulatorServiceAccount, VERTEX_EMULATOR_PROJECT, VertexEmulator } from '../../emulators/index.ts';
import type { Route, RouteAuth } from '../../catalog/index.ts';
import { UpstreamError } from '../../wire/index.ts';
import { TOKEN_REFRESH_MARGIN_MS } from '../cached-token.ts';
import type { UpstreamRequest } from '../provider-adapter.ts';
import { makeTestRoute } from '../test-route.ts';
import { vertexAdapter } from './vertex-adapter.ts';
import {
  createGoogleAuthenticator,
  GOOGLE_OAUTH_TOKEN_URL,
  GOOGLE_UNKNOWN_EXPIRY_MS,
  readServiceAccountTokenUri,
  type GoogleAccessTokenClient,
} from './vertex-auth.ts';

const HOUR = 3_600_000;
const request: UpstreamRequest = {
  method: 'POST',
  url: 'https://aiplatform.googleapis.com/v1/projects/p/locations/global/endpoints/openapi/chat/completions',
  headers: { 'content-type': 'application/json' },
  body: '{}',
};

interface Pending {
  resolve(answer: { token: string | null; expiry?: number | null }): void;
  reject(error: unknown): void;
}

/** A google-auth-library client whose answers the test gives by hand. */
function fakeClient(): GoogleAccessTokenClient & { calls: Pending[] } {
  const calls: Pending[] = [];
  const client = {
    calls,
    credentials: {} as { expiry_date?: number | null },
    getAccessToken() {
      return new Promise<{ token: string | null }>((resolve, reject) =>
        calls.push({
          resolve: ({ token, expiry }) => {
            client.credentials = { expiry_date: expiry };
            resolve({ token });
          },
          reject,
        }),
      );
    },
  };
  return client;
}

function googleRoute(auth: Record<string, unknown> = {}): { route: Route; auth: Extract<RouteAuth, { type: 'google' }> } {
  const route = makeTestRoute({ id: 'vertex-global', provider: 'vertex', project: 'p', auth: { type: 'google', ...auth } });
  if (route.auth.type !== 'google') throw new Error('not google');
  return { route, auth: route.auth };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  let now = 1_000_000;
  const client = fakeClient();
  const { route, auth } = googleRoute();
  const authenticator = createGoogleAuthenticator(route, auth, { googleClient: client, now: () => now });
  const authorization = async (signal?: AbortSignal) => (await authenticator.authorize(request, signal)).headers.authorization;
  return { client, authenticator, authorization, advance: (ms: number) => (now += ms), at: () => now };
}

describe('createGoogleAuthenticator', () => {
  test('asks the client once and reuses the token; only the authorization header is added', async () => {
    const { client, authenticator, authorization, at } = setup();
    const first = authenticator.authorize(request);
    await settle();
    client.calls[0]?.resolve({ token: 'ya29.one', expiry: at() + HOUR });
    assert.deepEqual(await first, { ...request, headers: { ...request.headers, authorization: 'Bearer ya29.one' } });
    for (let i = 0; i < 5; i++) assert.equal(await authorization(), 'Bearer ya29.one');
    assert.equal(client.calls.length, 1);
  });

  test('concurrent callers without a token share one call', async () => {
    const { client, authorization, at } = setup();
    const callers = Array.from({ length: 20 }, () => authorization());
    await settle();
    assert.equal(client.calls.length, 1);
    client.calls[0]?.resolve({ token: 'shared', expiry: at() + HOUR });
    assert.deepEqual(await Promise.all(callers), Array(20).fill('Bearer shared'));
  });

  test('5 minutes before expiry the old token is still sent while one background refresh runs', async () => {
    const { client, authorization, advance, at } = setup();
    const first = authorization();
    await settle();
    client.calls[0]?.resolve({ token: 'old', expiry: at() + HOUR });
    await first;
    advance(HOUR - TOKEN_REFRESH_MARGIN_MS + 1);
    assert.deepEqual(await Promise.all([authorization(), authorization()]), ['Bearer old', 'Bearer old']);
    await settle();
    assert.equal(client.calls.length, 2);
    client.calls[1]?.resolve({ token: 'new', expiry: at() + HOUR });
    await settle();
    assert.equal(await authorization(), 'Bearer new');
    assert.equal(client.calls.length, 2);
  });

  test('an expired token is never sent: callers wait for the new one', async () => {
    const { client, authorization, advance, at } = setup();
    const first = authorization();
    await settle();
    client.calls[0]?.resolve({ token: 'old', expiry: at() + HOUR });
    await first;
    advance(HOUR);
    const waiting = [authorization(), authorization()];
    await settle();
    assert.equal(client.calls.length, 2);
    client.calls[1]?.resolve({ token: 'new', expiry: at() + HOUR });
    assert.deepEqual(await Promise.all(waiting), ['Bearer new', 'Bearer new']);
  });

  test('a client that reports no expiry is asked again within GOOGLE_UNKNOWN_EXPIRY_MS', async () => {
    const { client, authorization, advance } = setup();
    const first = authorization();
    await settle();
    client.calls[0]?.resolve({ token: 'no-expiry', expiry: null });
    await first;
    advance(GOOGLE_UNKNOWN_EXPIRY_MS / 2 - 1);
    await authorization();
    await settle();
    assert.equal(client.calls.length, 1);
    advance(2);
    assert.equal(await authorization(), 'Bearer no-expiry');
    await settle();
    assert.equal(client.calls.length, 2);
  });

  test('a failure is a retryable upstream_auth_failed naming the route, without keys or tokens; the next call tries again', async () => {
    const { client, authorization, at } = setup();
    const failing = authorization();
    await settle();
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----';
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl';
    client.calls[0]?.reject(new Error(`invalid_grant: Invalid JWT Signature. key=${pem} assertion=${jwt} token=ya29.secret-token`));
    await assert.rejects(failing, (error: unknown) => {
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.code, 'upstream_auth_failed');
      assert.equal(error.status, 502);
      assert.equal(error.retryable, true);
      assert.equal(error.route, 'vertex-global');
      assert.match(error.message, /invalid_grant: Invalid JWT Signature\./);
      for (const secret of ['MIIEvQIBADANBg', jwt, 'ya29.secret-token']) assert.ok(!error.message.includes(secret), error.message);
      assert.equal(error.cause, undefined);
      return true;
    });
    const retry = authorization();
    await settle();
    assert.equal(client.calls.length, 2);
    client.calls[1]?.resolve({ token: 'ok', expiry: at() + HOUR });
    assert.equal(await retry, 'Bearer ok');
  });

  test('an empty token is a failure', async () => {
    const { client, authorization } = setup();
    const pending = authorization();
    await settle();
    client.calls[0]?.resolve({ token: null });
    await assert.rejects(pending, /no access token/);
  });

  test('an aborted caller stops waiting; the shared call still serves the others', async () => {
    const { client, authorization, at } = setup();
    const controller = new AbortController();
    const aborted = authorization(controller.signal);
    const patient = authorization();
    await settle();
    controller.abort(new Error('client went away'));
    await assert.rejects(aborted, /client went away/);
    client.calls[0]?.resolve({ token: 'late', expiry: at() + HOUR });
    assert.equal(await patient, 'Bearer late');
    assert.equal(client.calls.length, 1);
  });

  test('a missing credentials file fails as upstream_auth_failed, and is looked for again on the next call', async () => {
    const { route, auth } = googleRoute({ credentials_file: '/nonexistent/crossway-key.json' });
    const authenticator = createGoogleAuthenticator(route, auth);
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(authenticator.authorize(request), (error: unknown) => {
        assert.ok(error instanceof UpstreamError);
        assert.equal(error.code, 'upstream_auth_failed');
        assert.match(error.message, /crossway-key\.json/);
        return true;
      });
    }
  });
});

describe('createGoogleAuthenticator with the real google-auth-library and the Vertex emulator', () => {
  const emulator = new VertexEmulator({ tokenLifetimeSeconds: 2 });
  let directory = '';
  let keyFile = '';

  before(async () => {
    await emulator.start();
    const account = createEmulatorServiceAccount(emulator.tokenUrl);
    emulator.registerServiceAccount({ clientEmail: account.credentials.client_email, publicKeyPem: account.publicKeyPem });
    directory = mkdtempSync(join(tmpdir(), 'crossway-vertex-auth-'));
    keyFile = join(directory, 'service-account.json');
    writeFileSync(keyFile, JSON.stringify(account.credentials));
  });
  after(async () => {
    await emulator.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const tokenRequests = () => emulator.requests().filter((entry) => entry.path === '/token').length;

  test("an unmodified google-auth-library client ignores the key file's token_uri: Crossway's redirect is what reaches it", async () => {
    // What the README says about the demo's key file (issue 19): the library posts to Google's fixed endpoint. The
    // request is stopped before it leaves, so the test needs no network.
    const client = await new GoogleAuth({ keyFilename: keyFile, scopes: ['https://www.googleapis.com/auth/cloud-platform'] }).getClient();
    const targets: string[] = [];
    client.transporter.interceptors.request.add({
      resolved: async (options) => {
        targets.push(`${options.method} ${options.url.toString()}`);
        throw new Error('stopped before leaving');
      },
    });
    const before = tokenRequests();
    await assert.rejects(client.getAccessToken(), /stopped before leaving/);
    assert.deepEqual(targets, [`POST ${GOOGLE_OAUTH_TOKEN_URL}`]);
    assert.notEqual(emulator.tokenUrl, GOOGLE_OAUTH_TOKEN_URL);
    assert.equal(tokenRequests(), before, 'nothing reached the token_uri');
  });

  test("reads the key file's token_uri", async () => {
    assert.equal(await readServiceAccountTokenUri(keyFile), emulator.tokenUrl);
  });

  test('gets a token from the key file via the emulator, the emulator accepts it, and it is refreshed before expiry', async (context) => {
    // The wall clock of everything in this process (the library, the authenticator's cache, the emulator) is the
    // test's: it stands still unless moved, so a slow machine cannot age a 2-second token between two steps.
    context.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const route = makeTestRoute({
      id: 'vertex-emulator',
      provider: 'vertex',
      endpoint: emulator.url,
      region: 'global',
      project: VERTEX_EMULATOR_PROJECT,
      deployment: 'openai/gpt-oss-120b-maas',
      auth: { type: 'google', credentials_file: keyFile },
    });
    if (route.auth.type !== 'google') throw new Error('not google');
    const authenticator = createGoogleAuthenticator(route, route.auth);
    const send = async () => {
      const prepared = await authenticator.authorize(vertexAdapter.prepareChat({ model: 'x', messages: [{ role: 'user', content: 'Hi' }] }, route));
      const response = await fetch(prepared.url, { method: prepared.method, headers: prepared.headers, body: prepared.body });
      return { status: response.status, authorization: prepared.headers.authorization };
    };
    const before = tokenRequests();
    const first = await Promise.all([send(), send(), send()]);
    assert.deepEqual(
      first.map((result) => result.status),
      [200, 200, 200],
    );
    assert.equal(new Set(first.map((result) => result.authorization)).size, 1);
    assert.equal(tokenRequests() - before, 1, 'one token request for three concurrent calls');

    context.mock.timers.tick(2100); // past the 2-second lifetime: the cached token is not sent again
    const second = await send();
    assert.equal(second.status, 200);
    assert.notEqual(second.authorization, first[0]?.authorization);
    assert.equal(tokenRequests() - before, 2);
  });
});
