// Tests of the shared token cache beyond what the Entra and Google authenticator tests cover: short-lived tokens and
// issuer hints. (Caching, shared refreshes, failures and aborts are tested through both authenticators.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCachedToken, TOKEN_REFRESH_MARGIN_MS, type FetchedToken } from './cached-token.ts';

function setup(answer: (at: number, call: number) => FetchedToken) {
  let now = 1_000_000;
  let calls = 0;
  const cached = createCachedToken({
    now: () => now,
    fetchToken: async () => answer(now, ++calls),
    toError: (cause) => new Error(`failed: ${String(cause)}`),
  });
  return { get: () => cached.get(), advance: (ms: number) => (now += ms), calls: () => calls };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('createCachedToken', () => {
  test('a token that lives less than the refresh margin is still reused for half its life', async () => {
    const { get, advance, calls } = setup((at, call) => ({ token: `t${call}`, expiresAt: at + 60_000 }));
    assert.equal(await get(), 't1');
    advance(29_999);
    assert.equal(await get(), 't1');
    await settle();
    assert.equal(calls(), 1);
    advance(2);
    assert.equal(await get(), 't1', 'still valid: sent while the refresh runs');
    await settle();
    assert.equal(calls(), 2);
    assert.equal(await get(), 't2');
  });

  test('a short-lived token is not sent in the last tenth of its life', async () => {
    const { get, advance, calls } = setup((at, call) => ({ token: `t${call}`, expiresAt: at + 10_000 }));
    assert.equal(await get(), 't1');
    advance(9_001);
    assert.equal(await get(), 't2');
    assert.equal(calls(), 2);
  });

  test('an hour-long token follows the 5-minute margin', async () => {
    const { get, advance, calls } = setup((at, call) => ({ token: `t${call}`, expiresAt: at + 3_600_000 }));
    await get();
    advance(3_600_000 - TOKEN_REFRESH_MARGIN_MS - 1);
    await get();
    await settle();
    assert.equal(calls(), 1);
  });

  test("the issuer's refreshAfter starts the refresh earlier", async () => {
    const { get, advance, calls } = setup((at, call) => ({ token: `t${call}`, expiresAt: at + 3_600_000, refreshAfter: at + 60_000 }));
    await get();
    advance(60_001);
    assert.equal(await get(), 't1');
    await settle();
    assert.equal(calls(), 2);
  });
});
