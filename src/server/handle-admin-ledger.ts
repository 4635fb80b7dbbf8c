// The admin API over the ledger: usage per tenant (GET /admin/usage), account balances (GET /admin/ledger/balances),
// revenue-share statements (GET /admin/ledger/statements, JSON or a CSV download) and verification (GET /admin/ledger/verify).
import { buildRevenueShareStatement, buildUsageReport, describeAccount, formatMoney, formatStatementCsv, verifyStoredLedger } from '../metering/index.ts';
import type { UsageGroupBy } from '../store/index.ts';
import { excerpt, InvalidRequestError, NotFoundError } from '../wire/index.ts';
import { adminScope, readQuery, requireAdmin, requireMaster } from './admin-access.ts';
import type { RouteEntry } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';

const GROUPS: readonly UsageGroupBy[] = ['model', 'route', 'provider', 'key', 'day', 'tenant'];
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const PERIOD = /^\d{4}-\d{2}(-\d{2})?$/;

/** An instant from a query parameter (a date means its 00:00:00Z), normalised to the ledger's ISO form; 400 otherwise. */
function readInstant(query: URLSearchParams, name: string): string | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const ms = Date.parse(DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) throw new InvalidRequestError(`Invalid value for '${name}': expected an ISO 8601 date or date-time.`, name);
  return new Date(ms).toISOString();
}

/** The routes, for the gateway's route table. */
export const ADMIN_LEDGER_ROUTES: RouteEntry[] = [
  {
    method: 'GET',
    path: '/admin/usage',
    auth: true,
    handler: async (gateway, exchange) => {
      const principal = requireAdmin(exchange);
      const query = readQuery(exchange);
      const groupBy = query.get('group_by') ?? undefined;
      if (groupBy !== undefined && !GROUPS.includes(groupBy as UsageGroupBy)) {
        throw new InvalidRequestError(`Invalid value for 'group_by': expected one of ${GROUPS.join(', ')}.`, 'group_by');
      }
      const scope = adminScope(principal);
      const asked = query.get('tenant') ?? undefined;
      if (scope.tenant !== undefined && asked !== undefined && asked !== scope.tenant) {
        throw new NotFoundError(`No tenant with id '${excerpt(asked, 64)}'.`, 'tenant_not_found', 'tenant');
      }
      const report = await buildUsageReport(gateway.store, {
        tenant: scope.tenant ?? asked,
        key_id: query.get('key') ?? undefined,
        from: readInstant(query, 'from'),
        to: readInstant(query, 'to'),
        group_by: groupBy as UsageGroupBy | undefined,
      });
      return jsonResult(200, { object: 'usage.report', ...report });
    },
  },
  {
    method: 'GET',
    path: '/admin/ledger/balances',
    auth: true,
    handler: async (gateway, exchange) => {
      // A tenant's admin sees its tenant's accounts only; the master key every account and the agreements' accruals.
      const tenant = adminScope(requireAdmin(exchange)).tenant;
      const balances = (await gateway.store.listAccountBalances())
        .map((balance) => ({
          account: balance.account,
          ...describeAccount(balance.account),
          currency: balance.currency,
          balance: formatMoney(balance.balance),
        }))
        .filter((balance) => tenant === undefined || (balance.owner?.kind === 'tenant' && balance.owner.id === tenant));
      const accruals =
        tenant === undefined ? (await gateway.store.listAgreementAccruals()).map((accrual) => ({ ...accrual, accrued: formatMoney(accrual.accrued) })) : [];
      return jsonResult(200, { object: 'list', data: balances, accruals });
    },
  },
  {
    method: 'GET',
    path: '/admin/ledger/statements',
    auth: true,
    handler: async (gateway, exchange) => {
      requireMaster(exchange, 'read revenue-share statements');
      const query = readQuery(exchange);
      const id = query.get('agreement') ?? '';
      const agreement = gateway.catalog.agreements.find((candidate) => candidate.id === id);
      if (agreement === undefined) throw new NotFoundError(`No agreement with id '${excerpt(id, 64)}'.`, 'agreement_not_found', 'agreement');
      if (agreement.revenue_share === undefined) {
        throw new InvalidRequestError(`Agreement '${excerpt(id, 64)}' has no revenue share to state.`, 'agreement', 'no_revenue_share');
      }
      const period = query.get('period') ?? '';
      if (!PERIOD.test(period)) throw new InvalidRequestError("Invalid value for 'period': expected YYYY-MM (a month) or YYYY-MM-DD (a day).", 'period');
      const statement = await buildRevenueShareStatement(gateway.store, agreement, period);
      const format = query.get('format') ?? 'json';
      if (format === 'csv') {
        const csv = formatStatementCsv(statement);
        // A download named after what it holds; the id is the catalog's, kept to safe filename characters anyway.
        const filename = `statement-${agreement.id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64)}-${period}.csv`;
        return {
          status: 200,
          headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${filename}"` },
          body: csv,
        };
      }
      if (format !== 'json') throw new InvalidRequestError("Invalid value for 'format': expected json or csv.", 'format');
      return jsonResult(200, statement);
    },
  },
  {
    method: 'GET',
    path: '/admin/ledger/verify',
    auth: true,
    handler: async (gateway, exchange) => {
      requireMaster(exchange, 'verify the ledger');
      const violations = await verifyStoredLedger(gateway.store, gateway.catalog.agreements);
      return jsonResult(200, { object: 'ledger.verification', ok: violations.length === 0, violations });
    },
  },
];
