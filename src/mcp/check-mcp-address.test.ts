import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGuardedLookup, isForbiddenAddress, parseMcpServerUrl } from './check-mcp-address.ts';
import { McpServerRefusedError } from './mcp-errors.ts';

const CASES: [string, boolean][] = [
  ['127.0.0.1', true],
  ['127.8.9.10', true],
  ['10.1.2.3', true],
  ['172.16.0.1', true],
  ['172.31.255.255', true],
  ['172.32.0.1', false],
  ['192.168.1.1', true],
  ['169.254.169.254', true],
  ['0.0.0.0', true],
  ['::1', true],
  ['::', true],
  ['fc00::1', true],
  ['fd12:3456::1', true],
  ['fe80::1', true],
  ['::ffff:127.0.0.1', true],
  ['::ffff:a9fe:a9fe', true],
  ['[::1]', true],
  ['8.8.8.8', false],
  ['2606:4700::1111', false],
  ['not-an-ip', true],
];

test('isForbiddenAddress: loopback, private, link-local, metadata and unspecified addresses, IPv4-mapped forms included', () => {
  for (const [address, forbidden] of CASES) assert.equal(isForbiddenAddress(address), forbidden, address);
});

test('parseMcpServerUrl refuses other schemes, credentials in the URL, and forbidden literal hosts unless private is allowed', () => {
  for (const url of ['stdio://server', 'file:///etc/passwd', 'ws://example.com/mcp', 'http://user:pw@example.com/mcp', 'not a url']) {
    assert.throws(() => parseMcpServerUrl(url, 'tools[0].server_url', false), McpServerRefusedError, url);
  }
  for (const url of ['http://127.0.0.1:8080/mcp', 'http://169.254.169.254/latest', 'http://10.0.0.5/mcp', 'http://[::1]/mcp', 'http://localhost/mcp']) {
    assert.throws(() => parseMcpServerUrl(url, 'tools[0].server_url', false), McpServerRefusedError, url);
    assert.equal(parseMcpServerUrl(url, 'p', true).href.length > 0, true);
  }
  assert.equal(parseMcpServerUrl('https://mcp.example.com/sse', 'p', false).hostname, 'mcp.example.com');
});

test('the guarded lookup refuses a name that resolves to a forbidden address (DNS rebinding) and passes a public one', async () => {
  const resolveTo = (address: string) =>
    ((_host: string, _options: unknown, callback: (error: null, addresses: { address: string; family: number }[]) => void) =>
      callback(null, [{ address, family: 4 }])) as never;
  const lookup = (address: string) =>
    new Promise<unknown>((resolve, reject) =>
      createGuardedLookup(resolveTo(address))('rebind.example', {}, (error, result) => (error === null ? resolve(result) : reject(error))),
    );
  await assert.rejects(lookup('169.254.169.254'), /forbidden address/);
  await assert.rejects(lookup('127.0.0.1'), /forbidden address/);
  assert.equal(await lookup('93.184.216.34'), '93.184.216.34');
});
