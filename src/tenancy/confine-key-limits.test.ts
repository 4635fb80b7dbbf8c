// Key confinement as a table of named cases: what a key may give the keys it creates or changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrosswayError } from '../wire/index.ts';
import { checkKeyWithinLimits, confineKeyLimits, findWiderLimit, type KeyLimits } from './confine-key-limits.ts';

const open: KeyLimits = { models: null, rpm: null, tpm: null, budget: null, expires_at: null };
const narrow: KeyLimits = {
  models: ['gpt-5.5', 'via-openai'],
  rpm: 10,
  tpm: 1000,
  budget: { limit: '5.000000', currency: 'USD', period: 'day' },
  expires_at: '2027-01-01T00:00:00.000Z',
};

describe('confineKeyLimits', () => {
  it('gives a key that leaves its limits out the actor’s own', () => {
    assert.deepEqual(confineKeyLimits(narrow, open), narrow);
  });

  it('lets the master-like open actor give anything', () => {
    assert.deepEqual(confineKeyLimits(open, narrow), narrow);
    assert.deepEqual(confineKeyLimits(open, open), open);
  });

  it('keeps narrower limits as asked', () => {
    const asked: KeyLimits = {
      models: ['via-openai'],
      rpm: 1,
      tpm: 10,
      budget: { limit: '0.500000', currency: 'USD', period: 'day' },
      expires_at: '2026-12-31T00:00:00.000Z',
    };
    assert.deepEqual(confineKeyLimits(narrow, asked), asked);
  });

  const refusals: { name: string; asked: Partial<KeyLimits>; field: string }[] = [
    { name: 'a model outside its list', asked: { models: ['gpt-5.5', 'other'] }, field: 'models' },
    { name: 'a higher rpm', asked: { rpm: 11 }, field: 'rpm' },
    { name: 'a higher tpm', asked: { tpm: 1001 }, field: 'tpm' },
    { name: 'a larger budget', asked: { budget: { limit: '5.000001', currency: 'USD', period: 'day' } }, field: 'budget' },
    { name: 'a budget in another currency', asked: { budget: { limit: '1.000000', currency: 'EUR', period: 'day' } }, field: 'budget' },
    { name: 'a budget over another period', asked: { budget: { limit: '5.000000', currency: 'USD', period: 'total' } }, field: 'budget' },
    { name: 'a later expiry', asked: { expires_at: '2027-01-01T00:00:00.001Z' }, field: 'expires_at' },
  ];
  for (const { name, asked, field } of refusals) {
    it(`refuses ${name} with 403 key_limit_exceeded naming ${field}`, () => {
      assert.throws(
        () => confineKeyLimits(narrow, { ...narrow, ...asked }),
        (error: unknown) =>
          error instanceof CrosswayError &&
          error.status === 403 &&
          error.code === 'key_limit_exceeded' &&
          error.param === field &&
          error.message.includes(field),
      );
    });
  }
});

describe('checkKeyWithinLimits', () => {
  it('refuses to touch a key wider than the actor, and allows one within it', () => {
    assert.throws(
      () => checkKeyWithinLimits(narrow, { ...open, id: 'key_wide' }),
      (error: unknown) => error instanceof CrosswayError && error.status === 403 && error.param === 'models',
    );
    checkKeyWithinLimits(narrow, { ...narrow, id: 'key_same' });
    assert.equal(findWiderLimit(narrow, { ...narrow, rpm: 5 }), null);
  });
});
