// The session cookie's attributes and the request facts sign-in reads, as a table of named cases.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { uiConfigSchema } from '../catalog/index.ts';
import { formatCookie, isCookieSecure, isSameOrigin, readCookie } from './session-cookie.ts';

function request(headers: Record<string, string>, encrypted = false): IncomingMessage {
  return { headers, socket: encrypted ? { encrypted: true } : {} } as unknown as IncomingMessage;
}

describe('session cookie', () => {
  it('reads one cookie among several, and nothing from an oversized header', () => {
    assert.equal(readCookie(request({ cookie: 'a=1; crossway_session=abc; b=2' }), 'crossway_session'), 'abc');
    assert.equal(readCookie(request({ cookie: 'xcrossway_session=abc' }), 'crossway_session'), undefined);
    assert.equal(readCookie(request({}), 'crossway_session'), undefined);
    assert.equal(readCookie(request({ cookie: `crossway_session=${'a'.repeat(9000)}` }), 'crossway_session'), undefined);
    // Two different values (one tossed in by a sibling subdomain or for a narrower path): neither; the same one twice: it.
    assert.equal(readCookie(request({ cookie: 'crossway_session=evil; crossway_session=mine' }), 'crossway_session'), undefined);
    assert.equal(readCookie(request({ cookie: 'crossway_session=mine; a=1; crossway_session=mine' }), 'crossway_session'), 'mine');
  });

  it('is Secure except over plain http to a loopback host, unless ui.cookie_secure says otherwise', () => {
    const defaults = uiConfigSchema.parse({});
    const cases: [string, IncomingMessage, boolean][] = [
      ['plain http to 127.0.0.1', request({ host: '127.0.0.1:4000' }), false],
      ['plain http to localhost', request({ host: 'localhost:4000' }), false],
      ['plain http to [::1]', request({ host: '[::1]:4000' }), false],
      ['plain http to a LAN address', request({ host: '10.1.2.3:4000' }), true],
      ['a public host name', request({ host: 'gateway.example.com' }), true],
      ['https forwarded by a proxy on loopback', request({ host: 'localhost', 'x-forwarded-proto': 'https' }), true],
      ['TLS socket', request({ host: '127.0.0.1' }, true), true],
    ];
    for (const [name, req, secure] of cases) assert.equal(isCookieSecure(req, defaults), secure, name);
    assert.equal(isCookieSecure(request({ host: 'gateway.example.com' }), uiConfigSchema.parse({ cookie_secure: false })), false);
    assert.equal(isCookieSecure(request({ host: '127.0.0.1' }), uiConfigSchema.parse({ cookie_secure: true })), true);
  });

  it('formats HttpOnly, SameSite and Max-Age, and Secure when asked', () => {
    assert.equal(formatCookie('s', 'v', { maxAgeSeconds: 60, secure: true }), 's=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure');
    assert.equal(
      formatCookie('f', 'v', { maxAgeSeconds: 0, secure: false, path: '/ui/auth/oidc', sameSite: 'Lax' }),
      'f=v; Path=/ui/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=0',
    );
  });

  it('treats a missing Origin as same-origin and any other host, or "null", as foreign', () => {
    assert.equal(isSameOrigin(request({ host: '127.0.0.1:4000' })), true);
    assert.equal(isSameOrigin(request({ host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4000' })), true);
    assert.equal(isSameOrigin(request({ host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4001' })), false);
    assert.equal(isSameOrigin(request({ host: '127.0.0.1:4000', origin: 'https://evil.example' })), false);
    assert.equal(isSameOrigin(request({ host: '127.0.0.1:4000', origin: 'null' })), false);
    assert.equal(isSameOrigin(request({ host: '127.0.0.1:4000', origin: 'not a url' })), false);
  });
});
