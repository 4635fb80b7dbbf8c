import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accounts } from './build-transfers.ts';
import { describeAccount, type AccountDescription } from './describe-account.ts';

describe('describeAccount', () => {
  const cases: [string, AccountDescription][] = [
    [accounts.tenantReceivable('acme'), { type: 'asset', owner: { kind: 'tenant', id: 'acme' } }],
    [accounts.providerPayable('azure'), { type: 'liability', owner: { kind: 'provider', id: 'azure' } }],
    [accounts.revenue, { type: 'income', owner: null }],
    [accounts.costOfRevenue, { type: 'expense', owner: null }],
    [accounts.shareExpense('partner-share'), { type: 'expense', owner: { kind: 'agreement', id: 'partner-share' } }],
    [accounts.sharePayable('partner-share'), { type: 'liability', owner: { kind: 'agreement', id: 'partner-share' } }],
    ['something-else', { type: null, owner: null }],
  ];
  for (const [account, expected] of cases) it(account, () => assert.deepEqual(describeAccount(account), expected));
});
