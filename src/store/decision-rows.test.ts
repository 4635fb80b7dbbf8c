import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DecisionRecord } from './decision-record.ts';
import { toDecisionTableRow, toStoredDecisionRecord } from './decision-rows.ts';

const record: DecisionRecord = {
  id: 'dec_1',
  model: 'gpt-5.5',
  catalog_version: '0123456789abcdef',
  at: '2026-12-07T12:00:00.000Z',
  constraints: {},
  kept: [{ route: 'azure', provider: 'azure', region: 'eastus2', rank: 1, basis: 'price' }],
  rejected: [],
  attempts: [{ route: 'azure', status: 200, latency_ms: 12, error: null }],
  tenant: 'acme',
};

describe('decision rows', () => {
  it('keeps the catalog version through the store, with the plan', () => {
    const { row, plan } = toDecisionTableRow({ created_at: record.at, record });
    const stored = toStoredDecisionRecord(row.id, plan.json, row.detail);
    assert.deepEqual(stored, record);
    assert.deepEqual(Object.keys(stored).slice(0, 3), ['id', 'model', 'catalog_version']);
  });
  it('reads records stored before catalog versions without one', () => {
    const { catalog_version: _version, ...older } = record;
    const { row, plan } = toDecisionTableRow({ created_at: record.at, record: older });
    assert.equal('catalog_version' in toStoredDecisionRecord(row.id, plan.json, row.detail), false);
  });
});
