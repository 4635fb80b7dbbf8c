// The admin API for tenants and virtual keys: /admin/tenants and /admin/keys (master key, or an admin key for its own
// tenant's keys), and their budgets as they stand (spent, and reserved by calls in flight). Bodies are validated once
// with the tenancy schemas; every error is OpenAI-shaped.
import { createKeyRequestSchema, createTenantRequestSchema, patchKeyRequestSchema, patchTenantRequestSchema, toBudgetStatusView } from '../tenancy/index.ts';
import type { BudgetSpec } from '../store/index.ts';
import { InvalidRequestError, parseRequest } from '../wire/index.ts';
import { adminScope, readQuery, requireAdmin, requireMaster } from './admin-access.ts';
import type { Exchange, GatewayContext, RouteEntry } from './gateway-types.ts';
import { readJsonBody } from './read-body.ts';
import { jsonResult } from './http-result.ts';

async function readAdminBody(gateway: GatewayContext, exchange: Exchange): Promise<Record<string, unknown>> {
  return readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody);
}

/**
 * 400 for a budget in a currency no route of the catalog is priced in: it would bound nothing, and admission refuses
 * every call a budget cannot bound, so the key or tenant could never call a priced route.
 */
function checkBudgetCurrency(gateway: GatewayContext, budget: BudgetSpec | null | undefined): void {
  if (budget === null || budget === undefined) return;
  const priced = new Set(gateway.catalog.routes.flatMap((route) => (route.price === undefined ? [] : [route.price.currency])));
  if (priced.has(budget.currency)) return;
  const known = priced.size === 0 ? 'no route has a price' : `routes are priced in ${[...priced].sort().join(', ')}`;
  throw new InvalidRequestError(
    `A budget in ${budget.currency} cannot bound any call: ${known}. Set the budget in a currency the routes are priced in.`,
    'budget',
    'budget_currency_unpriced',
  );
}

/** The routes, for the gateway's route table. */
export const ADMIN_TENANCY_ROUTES: RouteEntry[] = [
  {
    method: 'POST',
    path: '/admin/tenants',
    auth: true,
    handler: async (gateway, exchange) => {
      requireMaster(exchange, 'create tenants');
      const input = parseRequest(createTenantRequestSchema, await readAdminBody(gateway, exchange));
      checkBudgetCurrency(gateway, input.budget);
      return jsonResult(201, await gateway.tenancy.createTenant(input));
    },
  },
  {
    method: 'GET',
    path: '/admin/tenants',
    auth: true,
    handler: async (gateway, exchange) => {
      const principal = requireAdmin(exchange);
      const data =
        principal.kind === 'master' ? await gateway.tenancy.listTenants() : [await gateway.tenancy.getTenant(principal.tenant.id, adminScope(principal))];
      return jsonResult(200, { object: 'list', data });
    },
  },
  {
    method: 'GET',
    path: '/admin/tenants/:id',
    auth: true,
    handler: async (gateway, exchange, params) => {
      const principal = requireAdmin(exchange);
      return jsonResult(200, await gateway.tenancy.getTenant(params.id ?? '', adminScope(principal)));
    },
  },
  {
    method: 'GET',
    path: '/admin/tenants/:id/budget',
    auth: true,
    handler: async (gateway, exchange, params) => {
      const tenant = await gateway.tenancy.getTenant(params.id ?? '', adminScope(requireAdmin(exchange)));
      const status = tenant.budget === null ? null : await gateway.limiter.readBudget({ kind: 'tenant', id: tenant.id }, tenant.budget);
      return jsonResult(200, toBudgetStatusView({ tenant: tenant.id, key: null }, status));
    },
  },
  {
    method: 'PATCH',
    path: '/admin/tenants/:id',
    auth: true,
    handler: async (gateway, exchange, params) => {
      requireMaster(exchange, 'change tenants');
      const patch = parseRequest(patchTenantRequestSchema, await readAdminBody(gateway, exchange));
      checkBudgetCurrency(gateway, patch.budget);
      const tenant = await gateway.tenancy.updateTenant(params.id ?? '', patch);
      gateway.forgetMasterTenant();
      return jsonResult(200, tenant);
    },
  },
  {
    method: 'DELETE',
    path: '/admin/tenants/:id',
    auth: true,
    handler: async (gateway, exchange, params) => {
      requireMaster(exchange, 'delete tenants');
      const erase = readQuery(exchange).get('erase');
      if (erase !== null && erase !== 'true' && erase !== 'false') throw new InvalidRequestError("The 'erase' query parameter must be true or false.", 'erase');
      return jsonResult(200, await gateway.tenancy.deleteTenant(params.id ?? '', {}, { erase: erase === 'true' }));
    },
  },
  {
    method: 'POST',
    path: '/admin/keys',
    auth: true,
    handler: async (gateway, exchange) => {
      const principal = requireAdmin(exchange);
      const input = parseRequest(createKeyRequestSchema, await readAdminBody(gateway, exchange));
      checkBudgetCurrency(gateway, input.budget);
      return jsonResult(201, await gateway.tenancy.createKey(input, adminScope(principal)));
    },
  },
  {
    method: 'GET',
    path: '/admin/keys',
    auth: true,
    handler: async (gateway, exchange) => {
      const principal = requireAdmin(exchange);
      const scope = adminScope(principal);
      const asked = readQuery(exchange).get('tenant') ?? undefined;
      // An admin key asking for another tenant's keys sees none, exactly as for a tenant without keys.
      const data =
        scope.tenant !== undefined && asked !== undefined && asked !== scope.tenant ? [] : await gateway.tenancy.listKeys({ tenant: scope.tenant ?? asked });
      return jsonResult(200, { object: 'list', data });
    },
  },
  {
    method: 'GET',
    path: '/admin/keys/:id',
    auth: true,
    handler: async (gateway, exchange, params) => {
      const principal = requireAdmin(exchange);
      return jsonResult(200, await gateway.tenancy.getKey(params.id ?? '', adminScope(principal)));
    },
  },
  {
    method: 'GET',
    path: '/admin/keys/:id/budget',
    auth: true,
    handler: async (gateway, exchange, params) => {
      const key = await gateway.tenancy.getKey(params.id ?? '', adminScope(requireAdmin(exchange)));
      const status = key.budget === null ? null : await gateway.limiter.readBudget({ kind: 'key', id: key.id }, key.budget);
      return jsonResult(200, toBudgetStatusView({ tenant: key.tenant, key: key.id }, status));
    },
  },
  {
    method: 'PATCH',
    path: '/admin/keys/:id',
    auth: true,
    handler: async (gateway, exchange, params) => {
      const principal = requireAdmin(exchange);
      const patch = parseRequest(patchKeyRequestSchema, await readAdminBody(gateway, exchange));
      checkBudgetCurrency(gateway, patch.budget);
      return jsonResult(200, await gateway.tenancy.updateKey(params.id ?? '', patch, adminScope(principal)));
    },
  },
  {
    method: 'DELETE',
    path: '/admin/keys/:id',
    auth: true,
    handler: async (gateway, exchange, params) => {
      const principal = requireAdmin(exchange);
      return jsonResult(200, await gateway.tenancy.revokeKey(params.id ?? '', adminScope(principal)));
    },
  },
  {
    method: 'POST',
    path: '/admin/keys/:id/rotate',
    auth: true,
    handler: async (gateway, exchange, params) => {
      const principal = requireAdmin(exchange);
      return jsonResult(200, await gateway.tenancy.rotateKey(params.id ?? '', adminScope(principal)));
    },
  },
];
