// What an account of the ledger's chart (build-transfers.ts `accounts`) is, read from its name: its type, and the
// tenant, provider or agreement it belongs to. For the balances the admin API lists.
import { accounts } from './build-transfers.ts';

/** The accounting type: whether a positive balance (debits − credits) is something owned, owed, earned or spent. */
export type AccountType = 'asset' | 'liability' | 'income' | 'expense';

/** An account as the admin API describes it. */
export interface AccountDescription {
  type: AccountType | null;
  /** Whose account it is; null for the installation's own (`revenue`, `cost_of_revenue`) and for unknown names. */
  owner: { kind: 'tenant' | 'provider' | 'agreement'; id: string } | null;
}

const PATTERNS: { pattern: RegExp; type: AccountType; kind: 'tenant' | 'provider' | 'agreement' }[] = [
  { pattern: /^tenant:(.+):receivable$/, type: 'asset', kind: 'tenant' },
  { pattern: /^provider:(.+):payable$/, type: 'liability', kind: 'provider' },
  { pattern: /^agreement:(.+):share_expense$/, type: 'expense', kind: 'agreement' },
  { pattern: /^agreement:(.+):share_payable$/, type: 'liability', kind: 'agreement' },
];

/** The type and owner of an account by its name; `{type: null, owner: null}` for a name the chart does not have. */
export function describeAccount(account: string): AccountDescription {
  if (account === accounts.revenue) return { type: 'income', owner: null };
  if (account === accounts.costOfRevenue) return { type: 'expense', owner: null };
  for (const { pattern, type, kind } of PATTERNS) {
    const match = pattern.exec(account);
    if (match?.[1] !== undefined) return { type, owner: { kind, id: match[1] } };
  }
  return { type: null, owner: null };
}
