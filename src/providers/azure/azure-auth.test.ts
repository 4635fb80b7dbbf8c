// Tests of the Entra authenticator with an injected fake TokenCredential and clock: caching, refresh ahead of
// expiry, one shared refresh for concurrent callers, failures without secrets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessToken, TokenCredential } from '@azure/identity';
import type { Route, RouteAuth } from '../../catalog/index.ts';
import { UpstreamError } from '../../wire/index.ts';
import type { UpstreamRequest } from '../provider-adapter.ts';
import { makeTestRoute } from '../test-route.ts';
import { createEntraAuthenticator, ENTRA_REFRESH_MARGIN_MS, ENTRA_RETRY_INTERVAL_MS } from './azure-auth.ts';

const HOUR = 3_600_000;
const request: UpstreamRequest = {
  method: 'POST',
  url: 'https://myres.openai.azure.com/openai/v1/chat/completions',
  headers: { 'content-type': 'application/json' },
  body: '{}',
};

interface Pending {
  scopes: string | string[];
  resolve(token: AccessToken): void;
  reject(error: unknown): void;
}

/** A TokenCredential whose answers the test gives by hand. */
function fakeCredential(): TokenCredential & { calls: Pending[] } {
  const calls: Pending[] = [];
  return {
    calls,
    getToken(scopes) {
      return new Promise<AccessToken>((resolve, reject) => calls.push({ scopes, resolve, reject }));
    },
  };
}

function entraRoute(auth: Record<string, unknown> = {}): { route: Route; auth: Extract<RouteAuth, { type: 'entra' }> } {
  const route = makeTestRoute({ id: 'azure-entra', provider: 'azure', auth: { type: 'entra', ...auth } });
  if (route.auth.type !== 'entra') throw new Error('not entra');
  return { route, auth: route.auth };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup(authInput: Record<string, unknown> = {}) {
  let now = 1_000_000;
  const credential = fakeCredential();
  const { route, auth } = entraRoute(authInput);
  const authenticator = createEntraAuthenticator(route, auth, { credential, now: () => now });
  const authorization = async (signal?: AbortSignal) => (await authenticator.authorize(request, signal)).headers.authorization;
  return {
    credential,
    authorization,
    authenticator,
    advance: (ms: number) => {
      now += ms;
    },
    at: () => now,
  };
}

describe('createEntraAuthenticator', () => {
  test('fetches a token for the route scope once and reuses it', async () => {
    const { credential, authorization, at } = setup();
    const first = authorization();
    await settle();
    assert.equal(credential.calls.length, 1);
    assert.deepEqual(credential.calls[0]?.scopes, 'https://cognitiveservices.azure.com/.default');
    credential.calls[0]?.resolve({ token: 'token-1', expiresOnTimestamp: at() + HOUR });
    assert.equal(await first, 'Bearer token-1');
    for (let i = 0; i < 5; i++) assert.equal(await authorization(), 'Bearer token-1');
    assert.equal(credential.calls.length, 1);
  });

  test('a custom scope is used', async () => {
    const { credential, authorization, at } = setup({ scope: 'https://ai.azure.com/.default' });
    const pending = authorization();
    await settle();
    assert.deepEqual(credential.calls[0]?.scopes, 'https://ai.azure.com/.default');
    credential.calls[0]?.resolve({ token: 't', expiresOnTimestamp: at() + HOUR });
    await pending;
  });

  test('concurrent callers without a token share one request to Entra', async () => {
    const { credential, authorization, at } = setup();
    const callers = Array.from({ length: 20 }, () => authorization());
    await settle();
    assert.equal(credential.calls.length, 1);
    credential.calls[0]?.resolve({ token: 'shared', expiresOnTimestamp: at() + HOUR });
    assert.deepEqual(await Promise.all(callers), Array(20).fill('Bearer shared'));
  });

  test('within 5 minutes of expiry: the old token is still sent while one background refresh runs', async () => {
    const { credential, authorization, advance, at } = setup();
    const first = authorization();
    await settle();
    credential.calls[0]?.resolve({ token: 'old', expiresOnTimestamp: at() + HOUR });
    await first;

    advance(HOUR - ENTRA_REFRESH_MARGIN_MS + 1);
    const during = await Promise.all([authorization(), authorization(), authorization()]);
    assert.deepEqual(during, ['Bearer old', 'Bearer old', 'Bearer old']);
    await settle();
    assert.equal(credential.calls.length, 2);

    credential.calls[1]?.resolve({ token: 'new', expiresOnTimestamp: at() + HOUR });
    await settle();
    assert.equal(await authorization(), 'Bearer new');
    assert.equal(credential.calls.length, 2);
  });

  test('an expired token is never sent: callers wait for the new one', async () => {
    const { credential, authorization, advance, at } = setup();
    const first = authorization();
    await settle();
    credential.calls[0]?.resolve({ token: 'old', expiresOnTimestamp: at() + HOUR });
    await first;

    advance(HOUR);
    const waiting = [authorization(), authorization()];
    await settle();
    assert.equal(credential.calls.length, 2);
    credential.calls[1]?.resolve({ token: 'new', expiresOnTimestamp: at() + HOUR });
    assert.deepEqual(await Promise.all(waiting), ['Bearer new', 'Bearer new']);
  });

  test("the token's refreshAfterTimestamp starts the refresh earlier", async () => {
    const { credential, authorization, advance, at } = setup();
    const first = authorization();
    await settle();
    credential.calls[0]?.resolve({ token: 'old', expiresOnTimestamp: at() + 24 * HOUR, refreshAfterTimestamp: at() + HOUR });
    await first;
    advance(HOUR + 1);
    assert.equal(await authorization(), 'Bearer old');
    await settle();
    assert.equal(credential.calls.length, 2);
  });

  test('a failed background refresh keeps the valid token and is retried after an interval', async () => {
    const { credential, authorization, advance, at } = setup();
    const first = authorization();
    await settle();
    credential.calls[0]?.resolve({ token: 'old', expiresOnTimestamp: at() + HOUR });
    await first;

    advance(HOUR - ENTRA_REFRESH_MARGIN_MS + 1);
    assert.equal(await authorization(), 'Bearer old');
    await settle();
    credential.calls[1]?.reject(new Error('network down'));
    await settle();
    assert.equal(await authorization(), 'Bearer old');
    await settle();
    assert.equal(credential.calls.length, 2, 'no new attempt right after a failure');
    advance(ENTRA_RETRY_INTERVAL_MS);
    assert.equal(await authorization(), 'Bearer old');
    await settle();
    assert.equal(credential.calls.length, 3);
  });

  test('a failure is a retryable UpstreamError naming the route and never the secret; the next call tries again', async () => {
    const secret = 'super-secret-value-123';
    const { credential, authorization, at } = setup({ tenant_id: 't', client_id: 'c', client_secret: secret });
    const failing = authorization();
    await settle();
    credential.calls[0]?.reject(new Error(`AADSTS7000215: Invalid client secret provided: ${secret}`));
    await assert.rejects(failing, (error: unknown) => {
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.retryable, true);
      assert.equal(error.code, 'upstream_auth_failed');
      assert.equal(error.route, 'azure-entra');
      assert.ok(!error.message.includes(secret), error.message);
      assert.ok(!JSON.stringify(error).includes(secret));
      assert.equal(error.cause, undefined);
      assert.match(error.message, /AADSTS7000215/);
      return true;
    });
    const retry = authorization();
    await settle();
    assert.equal(credential.calls.length, 2);
    credential.calls[1]?.resolve({ token: 'ok', expiresOnTimestamp: at() + HOUR });
    assert.equal(await retry, 'Bearer ok');
  });

  test('an aborted caller stops waiting; the shared refresh still serves the others', async () => {
    const { credential, authorization, at } = setup();
    const controller = new AbortController();
    const aborted = authorization(controller.signal);
    const patient = authorization();
    await settle();
    controller.abort(new Error('client went away'));
    await assert.rejects(aborted, /client went away/);
    credential.calls[0]?.resolve({ token: 'late', expiresOnTimestamp: at() + HOUR });
    assert.equal(await patient, 'Bearer late');
    assert.equal(credential.calls.length, 1);
  });

  test('only the authorization header is added; URL, method and body stay', async () => {
    const { credential, authenticator, at } = setup();
    const pending = authenticator.authorize(request);
    await settle();
    credential.calls[0]?.resolve({ token: 'tok', expiresOnTimestamp: at() + HOUR });
    assert.deepEqual(await pending, { ...request, headers: { ...request.headers, authorization: 'Bearer tok' } });
  });
});
