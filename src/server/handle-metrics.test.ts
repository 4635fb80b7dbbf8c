import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseListenAddress } from './handle-metrics.ts';

describe('parseListenAddress', () => {
  const cases: [string, { host: string | undefined; port: number }][] = [
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
    [':9464', { host: undefined, port: 9464 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
  ];
  for (const [address, parsed] of cases) it(address, () => assert.deepEqual(parseListenAddress(address), parsed));
  for (const bad of ['9464', '127.0.0.1', '127.0.0.1:70000', 'a:b:1', 'host:port']) {
    it(`refuses ${bad}`, () => assert.throws(() => parseListenAddress(bad), /metrics.listen must be "host:port"/));
  }
});
