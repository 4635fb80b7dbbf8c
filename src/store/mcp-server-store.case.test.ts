// The registered MCP servers part of the Store contract; run by runStoreTests on every backend.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import type { McpServerRecord } from './mcp-server-records.ts';
import type { Store } from './store.ts';

/** Builds a registered server with defaults for whatever the test does not care about. */
export function makeMcpServer(overrides: Partial<McpServerRecord> & Pick<McpServerRecord, 'id'>): McpServerRecord {
  return {
    tenant: 'acme',
    label: 'deepwiki',
    url: 'http://127.0.0.1:9/mcp',
    description: null,
    headers: { authorization: 'Bearer secret-1' },
    credential_id: 'cred_1',
    allowed_tools: null,
    require_approval: 'never',
    network: 'public',
    created_at: '2026-05-01T00:00:00.000Z',
    updated_at: '2026-05-01T00:00:00.000Z',
    ...overrides,
  };
}

export function runMcpServerStoreTests(open: () => Promise<Store>): void {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
  });

  it('inserts, reads by id and by label, lists by label, and round-trips every field', async () => {
    const server = makeMcpServer({
      id: 'mcps_1',
      allowed_tools: { tool_names: ['a', 'b'], read_only: true },
      require_approval: { always: { tool_names: ['b'] } },
      description: 'Docs',
      network: 'private',
    });
    assert.equal(await store.insertMcpServer(server), true);
    assert.equal(await store.insertMcpServer(makeMcpServer({ id: 'mcps_0', label: 'alpha', allowed_tools: ['x'] })), true);
    assert.deepEqual(await store.getMcpServer('acme', 'mcps_1'), server);
    assert.deepEqual(await store.findMcpServerByLabel('acme', 'deepwiki'), server);
    assert.deepEqual(
      (await store.listMcpServers('acme')).map((entry) => entry.label),
      ['alpha', 'deepwiki'],
    );
  });

  it('a label is unique per tenant, and another tenant may use it', async () => {
    assert.equal(await store.insertMcpServer(makeMcpServer({ id: 'mcps_1' })), true);
    assert.equal(await store.insertMcpServer(makeMcpServer({ id: 'mcps_2' })), false);
    assert.equal(await store.insertMcpServer(makeMcpServer({ id: 'mcps_3', tenant: 'other' })), true);
  });

  it("another tenant's server is not there for reads, updates or deletes", async () => {
    await store.insertMcpServer(makeMcpServer({ id: 'mcps_1' }));
    assert.equal(await store.getMcpServer('other', 'mcps_1'), null);
    assert.equal(await store.findMcpServerByLabel('other', 'deepwiki'), null);
    assert.deepEqual(await store.listMcpServers('other'), []);
    assert.equal(await store.updateMcpServer('other', 'mcps_1', { url: 'http://evil/' }), null);
    assert.equal(await store.deleteMcpServer('other', 'mcps_1'), false);
    assert.equal((await store.getMcpServer('acme', 'mcps_1'))?.url, 'http://127.0.0.1:9/mcp');
  });

  it('updates only the fields given, and deletes', async () => {
    await store.insertMcpServer(makeMcpServer({ id: 'mcps_1', allowed_tools: ['a'] }));
    const updated = await store.updateMcpServer('acme', 'mcps_1', {
      headers: { 'x-api-key': 'k2' },
      allowed_tools: null,
      require_approval: 'always',
      updated_at: '2026-05-02T00:00:00.000Z',
    });
    assert.deepEqual(updated, {
      ...makeMcpServer({ id: 'mcps_1' }),
      headers: { 'x-api-key': 'k2' },
      allowed_tools: null,
      require_approval: 'always',
      updated_at: '2026-05-02T00:00:00.000Z',
    });
    assert.equal(await store.deleteMcpServer('acme', 'mcps_1'), true);
    assert.equal(await store.getMcpServer('acme', 'mcps_1'), null);
    assert.equal(await store.deleteMcpServer('acme', 'mcps_1'), false);
  });

  it('inserts, reads, lists and deletes credentials, each scoped by tenant', async () => {
    const credential = {
      id: 'mcpc_1',
      tenant: 'acme',
      name: 'Docs token',
      server_url: 'https://mcp.example.com/mcp',
      headers: { authorization: 'cwsealed1:abc' },
      created_at: '2026-05-01T00:00:00.000Z',
      updated_at: '2026-05-01T00:00:00.000Z',
    };
    await store.insertMcpCredential(credential);
    await store.insertMcpCredential({ ...credential, id: 'mcpc_2', server_url: null, created_at: '2026-05-02T00:00:00.000Z' });
    assert.deepEqual(await store.getMcpCredential('acme', 'mcpc_1'), credential);
    assert.deepEqual(
      (await store.listMcpCredentials('acme')).map((entry) => entry.id),
      ['mcpc_1', 'mcpc_2'],
    );
    assert.equal(await store.getMcpCredential('other', 'mcpc_1'), null);
    assert.deepEqual(await store.listMcpCredentials('other'), []);
    assert.equal(await store.deleteMcpCredential('other', 'mcpc_1'), false);
    assert.equal(await store.deleteMcpCredential('acme', 'mcpc_1'), true);
    assert.equal(await store.getMcpCredential('acme', 'mcpc_1'), null);
  });

  it("erasing a tenant's data removes its registered servers and credentials, and no other tenant's", async () => {
    const credential = { name: 'n', server_url: null, headers: {}, created_at: '2026-05-01T00:00:00.000Z', updated_at: '2026-05-01T00:00:00.000Z' };
    await store.insertMcpCredential({ ...credential, id: 'mcpc_1', tenant: 'acme' });
    await store.insertMcpCredential({ ...credential, id: 'mcpc_2', tenant: 'other' });
    await store.insertMcpServer(makeMcpServer({ id: 'mcps_1' }));
    await store.insertMcpServer(makeMcpServer({ id: 'mcps_2', label: 'other-label' }));
    await store.insertMcpServer(makeMcpServer({ id: 'mcps_3', tenant: 'other' }));
    await store.eraseTenantData('acme');
    assert.deepEqual(await store.listMcpServers('acme'), []);
    assert.equal(await store.getMcpServer('acme', 'mcps_1'), null);
    assert.deepEqual(
      (await store.listMcpServers('other')).map((entry) => entry.id),
      ['mcps_3'],
    );
    assert.deepEqual(await store.listMcpCredentials('acme'), []);
    assert.equal((await store.getMcpCredential('other', 'mcpc_2'))?.id, 'mcpc_2');
  });
}
