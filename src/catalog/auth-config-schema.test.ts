// The sign-in sections of crossway.yaml: durations, defaults and bounds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditConfigSchema, oidcConfigSchema, parseDurationSeconds, uiConfigSchema } from './auth-config-schema.ts';

describe('sign-in configuration', () => {
  it('reads durations as seconds or with a unit', () => {
    assert.equal(parseDurationSeconds('90'), 90);
    assert.equal(parseDurationSeconds('30m'), 1800);
    assert.equal(parseDurationSeconds('12h'), 43_200);
    assert.equal(parseDurationSeconds('7d'), 604_800);
    assert.throws(() => parseDurationSeconds('soon'));
  });

  it('defaults ui to 12 h sessions, 1 h idle, 10 per user, and bounds the lifetime', () => {
    const ui = uiConfigSchema.parse({});
    assert.deepEqual(ui, { session_ttl: 43_200, session_idle_ttl: 3600, max_sessions_per_user: 10, sign_in_rate_per_minute: 10 });
    assert.equal(uiConfigSchema.parse({ session_ttl: '8h' }).session_ttl, 28_800);
    assert.equal(uiConfigSchema.safeParse({ session_ttl: 10 }).success, false);
    assert.equal(uiConfigSchema.safeParse({ session_ttl: '365d' }).success, false);
    assert.equal(auditConfigSchema.parse({}).retention_days, 365);
  });

  it('defaults the OIDC claims and keeps the client secret out of serialisation', () => {
    const oidc = oidcConfigSchema.parse({ issuer: 'https://idp.example.com', client_id: 'crossway', client_secret: 'shh-very-secret' });
    assert.equal(oidc.role_claim, 'crossway_role');
    assert.equal(oidc.tenant_claim, 'crossway_tenant');
    assert.deepEqual(oidc.scopes, ['openid', 'email', 'profile']);
    assert.equal(oidc.client_secret?.reveal(), 'shh-very-secret');
    assert.ok(!JSON.stringify(oidc).includes('shh-very-secret'));
    assert.equal(oidcConfigSchema.safeParse({ issuer: 'not a url', client_id: 'x' }).success, false);
  });
});
