import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import type { ApiKeyRecord, TenantRecord } from '../store/index.ts';
import { makeApiKey, makeTenant } from '../store/tenancy-store.case.test.ts';
import { AuthenticationError } from '../wire/index.ts';
import { authenticate, maskKey, type Authenticators } from './authenticate.ts';

const MASTER = 'sk-cw-master-0123456789abcdef';
const VIRTUAL = 'sk-cw-virtual-key-abcdefghijklmnop';

const tenant = (id: string): TenantRecord => makeTenant({ id, name: id });

const acmeKey: ApiKeyRecord = makeApiKey({ id: 'key_000000000000000000000001', name: 'ci', prefix: VIRTUAL.slice(0, 12) });

/** A gateway whose tenancy knows one virtual key and records every lookup it is asked for. */
function gatewayWithLookups(): Authenticators & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    masterKey: Buffer.from(MASTER),
    masterTenant: async () => tenant('default'),
    tenancy: {
      authenticate: async (secret) => {
        lookups.push(secret);
        return secret === VIRTUAL ? { key: acmeKey, tenant: tenant('acme') } : null;
      },
    },
  };
}

function requestWith(authorization: string | undefined): IncomingMessage {
  return { headers: authorization === undefined ? {} : { authorization } } as IncomingMessage;
}

describe('authenticate', () => {
  it('accepts the master key as a bearer token, in the default tenant, without a lookup', async () => {
    const gateway = gatewayWithLookups();
    const principal = await authenticate(requestWith(`Bearer ${MASTER}`), gateway);
    assert.equal(principal.kind, 'master');
    assert.equal(principal.tenant.id, 'default');
    assert.equal(principal.admin, true);
    assert.deepEqual(gateway.lookups, []);
  });

  it("compares the master key's bytes, and falls through to the lookup otherwise", async () => {
    const gateway = gatewayWithLookups();
    assert.equal((await authenticate(requestWith(`Bearer ${MASTER}`), gateway)).kind, 'master');
    const sameLength = `${MASTER.slice(0, -1)}x`;
    await assert.rejects(authenticate(requestWith(`Bearer ${sameLength}`), gateway), AuthenticationError);
    assert.deepEqual(gateway.lookups, [sameLength]);
  });

  it('accepts a virtual key through the tenancy lookup, with its tenant and rights', async () => {
    const principal = await authenticate(requestWith(`Bearer ${VIRTUAL}`), gatewayWithLookups());
    assert.equal(principal.kind, 'key');
    assert.equal(principal.key?.id, acmeKey.id);
    assert.equal(principal.tenant.id, 'acme');
    assert.equal(principal.admin, false);
  });

  const rejected: Array<{ name: string; header: string | undefined; code: string; looksUp: boolean }> = [
    { name: 'missing header', header: undefined, code: 'missing_api_key', looksUp: false },
    { name: 'empty header', header: '', code: 'missing_api_key', looksUp: false },
    { name: 'wrong scheme', header: `Basic ${MASTER}`, code: 'invalid_api_key', looksUp: false },
    { name: 'wrong key', header: 'Bearer sk-cw-master-wrong-key-0000', code: 'invalid_api_key', looksUp: true },
    { name: 'SQL injection attempt', header: "Bearer ' OR 1=1; DROP TABLE keys; --", code: 'invalid_api_key', looksUp: false },
    { name: '10 kB header', header: `Bearer ${'a'.repeat(10_240)}`, code: 'invalid_api_key', looksUp: false },
    { name: 'control characters', header: 'Bearer sk-\u0001abc', code: 'invalid_api_key', looksUp: false },
  ];
  for (const testCase of rejected) {
    it(`rejects ${testCase.name} with 401${testCase.looksUp ? '' : ' before any lookup'}`, async () => {
      const gateway = gatewayWithLookups();
      await assert.rejects(
        authenticate(requestWith(testCase.header), gateway),
        (error: unknown) => error instanceof AuthenticationError && error.status === 401 && error.code === testCase.code,
      );
      assert.equal(gateway.lookups.length, testCase.looksUp ? 1 : 0);
    });
  }

  it('never echoes a full key in its message', async () => {
    const wrong = 'sk-cw-master-canary-secret-9999';
    await assert.rejects(
      authenticate(requestWith(`Bearer ${wrong}`), gatewayWithLookups()),
      (error: unknown) => error instanceof Error && !error.message.includes(wrong) && error.message.includes('9999'),
    );
    assert.equal(maskKey('short'), '****');
  });
});
