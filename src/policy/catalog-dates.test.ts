import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addCatalogDays, endOfCatalogDate, formatInstant, startOfCatalogDate } from './catalog-dates.ts';

describe('catalog dates', () => {
  const cases: { name: string; actual: () => number | string; expected: number | string }[] = [
    { name: 'a bare date starts at midnight UTC', actual: () => startOfCatalogDate('2026-06-01'), expected: Date.parse('2026-06-01T00:00:00Z') },
    {
      name: 'a bare until ends at the next midnight (inclusive day)',
      actual: () => endOfCatalogDate('2032-12-31'),
      expected: Date.parse('2033-01-01T00:00:00Z'),
    },
    { name: 'a datetime is exact as from', actual: () => startOfCatalogDate('2026-06-01T09:30:00+02:00'), expected: Date.parse('2026-06-01T07:30:00Z') },
    { name: 'a datetime is exact as until', actual: () => endOfCatalogDate('2026-06-01T09:30:00Z'), expected: Date.parse('2026-06-01T09:30:00Z') },
    { name: 'released + window_days', actual: () => formatInstant(addCatalogDays('2026-11-01', 30)), expected: '2026-12-01' },
    { name: 'an instant off midnight keeps its time', actual: () => formatInstant(Date.parse('2026-12-01T10:00:00Z')), expected: '2026-12-01T10:00:00.000Z' },
  ];
  for (const { name, actual, expected } of cases) it(name, () => assert.equal(actual(), expected));
});
