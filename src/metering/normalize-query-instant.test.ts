import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../wire/index.ts';
import { normalizeQueryInstant } from './normalize-query-instant.ts';

describe('normalizeQueryInstant', () => {
  const cases: [string, string, string][] = [
    ['a date is its midnight UTC', '2026-11-01', '2026-11-01T00:00:00.000Z'],
    ['an instant in UTC', '2026-11-01T10:20:30Z', '2026-11-01T10:20:30.000Z'],
    ['an offset is applied', '2026-11-01T01:00:00+01:00', '2026-11-01T00:00:00.000Z'],
    ['milliseconds are kept', '2030-12-31T23:59:59.999Z', '2030-12-31T23:59:59.999Z'],
    ['minutes only', '2026-11-01T10:20Z', '2026-11-01T10:20:00.000Z'],
  ];
  for (const [name, text, expected] of cases) it(name, () => assert.equal(normalizeQueryInstant(text, 'from'), expected));

  const malformed: [string, string][] = [
    ['no offset (server time zone)', '2026-11-01T10:00:00'],
    ['words', 'yesterday'],
    ['epoch milliseconds', '1790000000000'],
    ['a month', '2026-11'],
    ['an impossible date', '2026-13-01'],
    ['empty', ''],
  ];
  for (const [name, text] of malformed) {
    it(`rejects ${name} with a 400 naming the parameter`, () => {
      assert.throws(
        () => normalizeQueryInstant(text, 'to'),
        (error: unknown) => error instanceof InvalidRequestError && error.param === 'to' && error.status === 400,
      );
    });
  }
});
