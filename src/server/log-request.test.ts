import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Principal } from '../calls/index.ts';
import { openSqliteStore, RequestLogWriter, type ApiKeyRecord, type SqliteStore, type TenantRecord } from '../store/index.ts';
import { UpstreamError, NotFoundError } from '../wire/index.ts';
import type { Exchange, GatewayContext, HttpResult } from './gateway-types.ts';
import { logRequest } from './log-request.ts';

const tenant = { id: 'acme' } as TenantRecord;
const keyPrincipal: Principal = { kind: 'key', key: { id: 'key_1' } as ApiKeyRecord, tenant, admin: false };
const masterPrincipal: Principal = { kind: 'master', key: null, tenant: { id: 'default' } as TenantRecord, admin: true };

describe('logRequest', () => {
  let store: SqliteStore;
  let requestLog: RequestLogWriter;
  let gateway: GatewayContext;
  beforeEach(async () => {
    store = await openSqliteStore(':memory:');
    await store.migrate();
    requestLog = new RequestLogWriter(store);
    // The middleware uses the request log, and the catalog for the provider of a failed call's route.
    const catalog = { findRoute: (id: string) => (id === 'azure-1' ? { id, provider: 'azure' } : undefined) };
    gateway = { requestLog, catalog } as unknown as GatewayContext;
  });
  afterEach(async () => {
    await requestLog.close();
    await store.close();
  });

  function exchangeOf(requestId: string, principal: Principal | null, upstreamMs?: number): Exchange {
    const exchange = { requestId, startedAt: performance.now(), principal, log: { endpoint: 'chat.completions', model: 'gpt-5.5', stream: false } };
    return (upstreamMs === undefined ? exchange : { ...exchange, upstreamMs }) as unknown as Exchange;
  }

  const logged = async (id: string) => {
    await requestLog.flush();
    return store.getRequestLog(id);
  };

  it('keeps the tenant and key of the caller, the call info the handler set, and the upstream time measured', async () => {
    const exchange = exchangeOf('req_ok', keyPrincipal, 41.7);
    const answer: HttpResult = { status: 200, headers: {}, body: '{}' };
    await logRequest(gateway, exchange, async () => {
      Object.assign(exchange.log!, { route: 'azure-1', provider: 'azure', attempts: 2, decision_id: 'dec_1' });
      return answer;
    });
    const row = await logged('req_ok');
    assert.deepEqual(
      [row?.tenant_id, row?.key_id, row?.route, row?.provider, row?.attempts, row?.decision_id, row?.upstream_ms, row?.status],
      ['acme', 'key_1', 'azure-1', 'azure', 2, 'dec_1', 42, 200],
    );
  });

  it('takes the decision and attempts of a failed call from its error, and null where nothing applies', async () => {
    const failed = exchangeOf('req_failed', keyPrincipal);
    const error = new UpstreamError('overloaded', { route: 'azure-1', status: 503, retryable: true });
    error.decisionId = 'dec_2';
    error.attemptCount = 3;
    await assert.rejects(logRequest(gateway, failed, () => Promise.reject(error)));
    const row = await logged('req_failed');
    assert.deepEqual([row?.decision_id, row?.attempts, row?.upstream_ms], ['dec_2', 3, null]);
    // The route the failed attempt asked, and its provider.
    assert.deepEqual([row?.route, row?.provider], ['azure-1', 'azure']);

    const master = exchangeOf('req_master', masterPrincipal);
    await assert.rejects(logRequest(gateway, master, () => Promise.reject(new NotFoundError('no such model'))));
    const masterRow = await logged('req_master');
    assert.deepEqual(
      [masterRow?.tenant_id, masterRow?.key_id, masterRow?.decision_id, masterRow?.route, masterRow?.status],
      ['default', null, null, null, 404],
    );
  });
});
