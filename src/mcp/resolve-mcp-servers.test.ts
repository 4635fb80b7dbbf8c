import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { McpCredentialRecord, McpServerRecord, TenantRecord } from '../store/index.ts';
import type { ResponseTool } from '../wire/index.ts';
import { randomBytes } from 'node:crypto';
import { McpServerRefusedError } from './mcp-errors.ts';
import { deriveMcpCredentialKey, sealMcpHeaders } from './seal-mcp-credentials.ts';
import { redactMcpTools, resolveMcpServers } from './resolve-mcp-servers.ts';
import { InvalidRequestError } from '../wire/index.ts';

const key = deriveMcpCredentialKey(randomBytes(32));

const tenant = (policy: Record<string, unknown> = {}): TenantRecord => ({
  id: 'acme',
  name: 'Acme',
  policy,
  margin: null,
  rpm: null,
  tpm: null,
  budget: null,
  metadata: {},
  created_at: '2026-05-01T00:00:00.000Z',
  updated_at: '2026-05-01T00:00:00.000Z',
});

const registered: McpServerRecord = {
  id: 'mcps_1',
  tenant: 'acme',
  label: 'docs',
  url: 'http://10.0.0.7:8080/mcp',
  description: null,
  headers: sealMcpHeaders({ authorization: 'Bearer admin-secret' }, key, 'acme', 'docs'),
  credential_id: 'cred',
  allowed_tools: ['search', 'delete'],
  require_approval: { always: { tool_names: ['delete'] } },
  network: 'private',
  created_at: '2026-05-01T00:00:00.000Z',
  updated_at: '2026-05-01T00:00:00.000Z',
};
const credential = (id: string, serverUrl: string | null, headers: Record<string, string>): McpCredentialRecord => ({
  id,
  tenant: 'acme',
  name: id,
  server_url: serverUrl,
  headers: sealMcpHeaders(headers, key, 'acme', `credential:${id}`),
  created_at: '2026-05-01T00:00:00.000Z',
  updated_at: '2026-05-01T00:00:00.000Z',
});
const credentials = [
  credential('mcpc_any', null, { authorization: 'Bearer vault-token', 'x-team': 'blue' }),
  credential('mcpc_bound', 'https://elsewhere.example.com/mcp', { authorization: 'Bearer bound' }),
];
const store = {
  findMcpServerByLabel: async (tenantId: string, label: string) => (tenantId === 'acme' && label === 'docs' ? registered : null),
  getMcpCredential: async (tenantId: string, id: string) => credentials.find((entry) => entry.tenant === tenantId && entry.id === id) ?? null,
};
const resolve = (owner: TenantRecord, tools: ResponseTool[]) => resolveMcpServers(store, owner, tools, key);
const mcp = (fields: Record<string, unknown>) => [{ type: 'mcp', ...fields }] as unknown as ResponseTool[];
const search = { name: 'search', readOnly: true };
const remove = { name: 'delete', readOnly: false };
const other = { name: 'other', readOnly: true };

describe('resolveMcpServers', () => {
  it("credential_id adds a registered credential's headers (under a registered server's own), and is never readable in the tool", async () => {
    const inline = await resolve(
      tenant({ mcp_server_urls: 'allow' }),
      mcp({ server_label: 'web', server_url: 'https://mcp.example.com/mcp', credential_id: 'mcpc_any', headers: { 'x-team': 'red' } }),
    );
    assert.deepEqual(inline[0]?.target.headers, { authorization: 'Bearer vault-token', 'x-team': 'blue' });
    const [docs] = await resolve(tenant(), mcp({ server_label: 'docs', credential_id: 'mcpc_any' }));
    assert.deepEqual(docs?.target.headers, { authorization: 'Bearer admin-secret', 'x-team': 'blue' });
    for (const [id, code] of [
      ['mcpc_nope', 'mcp_credential_not_found'],
      ['mcpc_bound', 'mcp_credential_mismatch'],
    ]) {
      await assert.rejects(
        resolve(tenant(), mcp({ server_label: 'docs', credential_id: id })),
        (error: unknown) => error instanceof InvalidRequestError && error.param === 'tools[0].credential_id' && error.code === code,
      );
    }
    // Another tenant's credential is not there.
    await assert.rejects(
      resolve({ ...tenant(), id: 'other' }, mcp({ server_label: 'docs', server_url: 'https://mcp.example.com/mcp', credential_id: 'mcpc_any' })),
    );
  });

  it('required is false unless the tool says true, and must be a boolean', async () => {
    assert.equal((await resolve(tenant(), mcp({ server_label: 'docs' })))[0]?.required, false);
    assert.equal((await resolve(tenant(), mcp({ server_label: 'docs', required: true })))[0]?.required, true);
    await assert.rejects(
      resolve(tenant(), mcp({ server_label: 'docs', required: 'yes' })),
      (error: unknown) => (error as InvalidRequestError).param === 'tools[0].required',
    );
  });

  it('a registered label gets the admin URL and credentials (which win), a private address, and the admin rules', async () => {
    const [docs] = await resolve(tenant(), mcp({ server_label: 'docs', headers: { authorization: 'Bearer mine', 'x-extra': '1' } }));
    assert.ok(docs !== undefined);
    assert.deepEqual(docs.target, {
      tenant: 'acme',
      label: 'docs',
      url: registered.url,
      headers: { authorization: 'Bearer admin-secret', 'x-extra': '1' },
      allowPrivateAddress: true,
    });
    assert.deepEqual([docs.allows(search), docs.allows(remove), docs.allows(other)], [true, true, false]);
    assert.deepEqual([docs.needsApproval(search), docs.needsApproval(remove)], [false, true]);
  });

  it('a request narrows the admin rules and may ask for more approval, never less', async () => {
    const [docs] = await resolve(tenant(), mcp({ server_label: 'docs', allowed_tools: ['search', 'other'], require_approval: 'never' }));
    assert.deepEqual([docs?.allows(search), docs?.allows(remove), docs?.allows(other)], [true, false, false]);
    assert.equal(docs?.needsApproval(remove), true, "the admin's always holds against the request's never");
    const [strict] = await resolve(tenant(), mcp({ server_label: 'docs', require_approval: 'always' }));
    assert.equal(strict?.needsApproval(search), true);
  });

  it('a registered label with another server_url is refused; an unknown label without a URL is 404', async () => {
    await assert.rejects(resolve(tenant(), mcp({ server_label: 'docs', server_url: 'https://elsewhere.example/mcp' })), McpServerRefusedError);
    await assert.rejects(resolve(tenant(), mcp({ server_label: 'nope' })), { status: 404, param: 'tools[0].server_label' });
  });

  it('inline URLs: refused unless the tenant allows them; then public only, approval by default, the request credentials', async () => {
    const inline = mcp({ server_label: 'pub', server_url: 'https://mcp.example.com/mcp', authorization: 'tok' });
    await assert.rejects(resolve(tenant(), inline), { code: 'mcp_server_refused', param: 'tools[0].server_url' });
    const [pub] = await resolve(tenant({ mcp_server_urls: 'allow' }), inline);
    assert.deepEqual(pub?.target, {
      tenant: 'acme',
      label: 'pub',
      url: 'https://mcp.example.com/mcp',
      headers: { authorization: 'Bearer tok' },
      allowPrivateAddress: false,
    });
    assert.equal(pub?.needsApproval(search), true);
    for (const url of ['http://127.0.0.1/mcp', 'http://169.254.169.254/', 'http://10.0.0.1/mcp', 'http://[fe80::1]/mcp']) {
      await assert.rejects(resolve(tenant({ mcp_server_urls: 'allow' }), mcp({ server_label: 'x', server_url: url })), McpServerRefusedError, url);
    }
  });

  it('refuses bad labels, duplicate labels, connectors, malformed rules and oversized headers', async () => {
    const cases: [Record<string, unknown>[], string][] = [
      [[{ server_label: 'bad label' }], 'tools[0].server_label'],
      [[{ server_label: 'docs' }, { server_label: 'docs' }], 'tools[1].server_label'],
      [[{ server_label: 'docs', connector_id: 'connector_gmail' }], 'tools[0].connector_id'],
      [[{ server_label: 'docs', allowed_tools: 'all' }], 'tools[0].allowed_tools'],
      [[{ server_label: 'docs', require_approval: 'sometimes' }], 'tools[0].require_approval'],
      [[{ server_label: 'docs', headers: { 'x-big': 'a'.repeat(9000) } }], 'tools[0].headers'],
    ];
    for (const [tools, param] of cases) {
      const list = tools.map((fields) => ({ type: 'mcp', ...fields })) as unknown as ResponseTool[];
      await assert.rejects(resolve(tenant(), list), { param }, param);
    }
  });

  it('redactMcpTools drops headers and authorization from mcp tools only', () => {
    const request = {
      tools: [
        { type: 'mcp', server_label: 'a', headers: { k: 'v' }, authorization: 't' },
        { type: 'function', name: 'f' },
      ] as unknown as ResponseTool[],
    };
    assert.deepEqual(redactMcpTools(request).tools, [
      { type: 'mcp', server_label: 'a' },
      { type: 'function', name: 'f' },
    ]);
  });
});
