// The admin bodies for tenants and keys, and the CLI's budget shorthand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError, parseRequest } from '../wire/index.ts';
import { createKeyRequestSchema, createTenantRequestSchema, parseBudgetShorthand, patchKeyRequestSchema, patchTenantRequestSchema } from './tenancy-schemas.ts';

/** The 400 message parseRequest gives for `body`, or null when it is valid. */
function rejectionOf(schema: Parameters<typeof parseRequest>[0], body: unknown): { param: string | null; message: string } | null {
  try {
    parseRequest(schema, body);
    return null;
  } catch (error) {
    assert.ok(error instanceof InvalidRequestError);
    return { param: error.param, message: error.message };
  }
}

describe('createTenantRequestSchema', () => {
  it('fills defaults and normalises margin and budget', () => {
    assert.deepEqual(createTenantRequestSchema.parse({ id: 'acme' }), {
      id: 'acme',
      policy: {},
      margin: null,
      rpm: null,
      tpm: null,
      budget: null,
      metadata: {},
    });
    const full = createTenantRequestSchema.parse({
      id: 'acme.eu_1-x',
      name: ' Acme Corp ',
      policy: { regions: ['eu'] },
      margin: 0.25,
      rpm: 60,
      tpm: 100_000,
      budget: { limit: 25 },
      metadata: { team: 'ml' },
    });
    assert.equal(full.name, 'Acme Corp');
    assert.equal(full.margin, '0.25');
    assert.deepEqual(full.budget, { limit: '25.000000', currency: 'USD', period: 'month' });
    assert.deepEqual(createTenantRequestSchema.parse({ id: 'a', budget: { limit: '0.5', currency: 'eur', period: 'day' } }).budget, {
      limit: '0.500000',
      currency: 'EUR',
      period: 'day',
    });
  });

  const rejected: [string, unknown, string][] = [
    ['an id with a slash', { id: 'a/b' }, 'id'],
    ['an id longer than 64', { id: 'x'.repeat(65) }, 'id'],
    ['an unknown field', { id: 'a', colour: 'red' }, ''],
    ['a policy the catalog does not know', { id: 'a', policy: { regionz: ['eu'] } }, 'policy'],
    ['a negative margin', { id: 'a', margin: '-0.1' }, 'margin'],
    ['a margin in exponent form', { id: 'a', margin: 1e-7 }, 'margin'],
    ['a zero rpm', { id: 'a', rpm: 0 }, 'rpm'],
    ['a fractional tpm', { id: 'a', tpm: 1.5 }, 'tpm'],
    // Stored in a 32-bit column: PostgreSQL answered a larger one with an internal error.
    ['a tpm past 2^31 - 1', { id: 'a', tpm: 3_000_000_000 }, 'tpm'],
    ['a budget with 7 decimals', { id: 'a', budget: { limit: '0.0000001' } }, 'budget.limit'],
    ['a negative budget', { id: 'a', budget: { limit: -1 } }, 'budget.limit'],
    ['a weekly budget', { id: 'a', budget: { limit: '1', period: 'week' } }, 'budget.period'],
    ['17 metadata pairs', { id: 'a', metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata'],
    ['a number as metadata value', { id: 'a', metadata: { n: 1 } }, 'metadata.n'],
  ];
  for (const [what, body, param] of rejected) {
    it(`rejects ${what}`, () => {
      const rejection = rejectionOf(createTenantRequestSchema, body);
      assert.ok(rejection !== null, 'should be rejected');
      assert.equal(rejection.param ?? '', param);
    });
  }

  it('says what a per-minute limit must be', () => {
    assert.match(rejectionOf(createTenantRequestSchema, { id: 'a', rpm: -5 })?.message ?? '', /positive integer or null/);
  });
});

describe('patchTenantRequestSchema', () => {
  it('keeps absent fields absent and null as a way to clear', () => {
    assert.deepEqual(patchTenantRequestSchema.parse({}), {});
    assert.deepEqual(patchTenantRequestSchema.parse({ rpm: null, budget: null, margin: '1.5' }), { rpm: null, budget: null, margin: '1.5' });
  });

  it('does not let the id change', () => {
    assert.equal(rejectionOf(patchTenantRequestSchema, { id: 'other' })?.param ?? '', '');
  });
});

describe('createKeyRequestSchema', () => {
  it('requires only the tenant and fills the rest', () => {
    assert.deepEqual(createKeyRequestSchema.parse({ tenant: 'acme' }), {
      tenant: 'acme',
      name: null,
      models: null,
      rpm: null,
      tpm: null,
      budget: null,
      expires_at: null,
      admin: false,
      metadata: {},
    });
    assert.equal(rejectionOf(createKeyRequestSchema, {})?.param, 'tenant');
  });

  it('normalises expires_at to UTC and accepts the issue example', () => {
    const key = createKeyRequestSchema.parse({
      tenant: 'acme',
      name: 'ci',
      models: ['gpt-5.5'],
      rpm: 60,
      tpm: 100000,
      budget: { limit: '25.00', currency: 'USD', period: 'day' },
      expires_at: '2027-01-01T02:00:00+02:00',
      admin: false,
    });
    assert.equal(key.expires_at, '2027-01-01T00:00:00.000Z');
    assert.deepEqual(key.budget, { limit: '25.000000', currency: 'USD', period: 'day' });
  });

  it('rejects an empty model list, a date without time zone and a non-boolean admin', () => {
    assert.equal(rejectionOf(createKeyRequestSchema, { tenant: 'a', models: [] })?.param, 'models');
    assert.equal(rejectionOf(createKeyRequestSchema, { tenant: 'a', expires_at: '2027-01-01' })?.param, 'expires_at');
    assert.equal(rejectionOf(createKeyRequestSchema, { tenant: 'a', admin: 'yes' })?.param, 'admin');
  });
});

describe('patchKeyRequestSchema', () => {
  it('does not let a key move to another tenant', () => {
    assert.equal(rejectionOf(patchKeyRequestSchema, { tenant: 'other' })?.param ?? '', '');
    assert.deepEqual(patchKeyRequestSchema.parse({ models: null, expires_at: null }), { models: null, expires_at: null });
  });
});

describe('parseBudgetShorthand', () => {
  const cases: [string, { limit: string; currency: string; period: string }][] = [
    ['25', { limit: '25.000000', currency: 'USD', period: 'month' }],
    ['25.50/day', { limit: '25.500000', currency: 'USD', period: 'day' }],
    ['100/total', { limit: '100.000000', currency: 'USD', period: 'total' }],
    ['20eur/month', { limit: '20.000000', currency: 'EUR', period: 'month' }],
  ];
  for (const [text, budget] of cases) {
    it(`reads ${text}`, () => assert.deepEqual(parseBudgetShorthand(text), budget));
  }
  for (const text of ['', '25/week', '-1', '1.1234567', 'abc', '25/']) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.throws(() => parseBudgetShorthand(text), InvalidRequestError));
  }
});
