// POST /admin/plan: the dashboard's plan explorer. What the planner decides for a model under constraints on a date,
// before any request is sent: the same JSON `crossway plan --json` prints (calls/explain-plan.ts makes both), with a
// tenant's routing policy applied when one is named (a tenant's admin: always its own).
import { z } from 'zod';
import { capabilitySchema, type Constraints } from '../catalog/index.ts';
import { explainPlan, planQuestion } from '../calls/index.ts';
import { excerpt, NotFoundError, parseRequest } from '../wire/index.ts';
import { adminScope, requireAdmin } from './admin-access.ts';
import { confineTenant, filterText, isoInstant } from './admin-query.ts';
import type { RouteEntry } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';
import { readJsonBody } from './read-body.ts';

// A list as the CLI takes it: an array, or one string with commas; at most 32 entries of 256 characters.
const list = z.union([z.array(filterText).max(32), filterText]).transform((value) =>
  (Array.isArray(value) ? value : value.split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .slice(0, 32),
);

const planBodySchema = z.strictObject({
  model: filterText,
  /** YYYY-MM-DD (midnight UTC) or an ISO date-time; now when absent. */
  date: isoInstant.optional(),
  region: list.optional(),
  compliance: list.optional(),
  provider: list.optional(),
  capabilities: z.array(capabilitySchema).max(16).optional(),
  tools: z.boolean().optional(),
  vision: z.boolean().optional(),
  tenant_id: filterText.optional(),
});

/** The route, for the gateway's route table. */
export const ADMIN_PLAN_ROUTES: RouteEntry[] = [
  {
    method: 'POST',
    path: '/admin/plan',
    auth: true,
    handler: async (gateway, exchange) => {
      const principal = requireAdmin(exchange);
      const body = parseRequest(planBodySchema, await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody));
      const tenantId = confineTenant(principal, body.tenant_id);
      // Another tenant, or none by that id: 404 (getTenant checks the caller's scope too).
      const tenant = tenantId === undefined ? undefined : await gateway.tenancy.getTenant(tenantId, adminScope(principal));
      const constraints: Constraints = {};
      if (body.region !== undefined && body.region.length > 0) constraints.regions = body.region;
      if (body.compliance !== undefined && body.compliance.length > 0) constraints.compliance = body.compliance;
      if (body.provider !== undefined && body.provider.length > 0) constraints.providers = { only: body.provider };
      const capabilities = new Set(body.capabilities ?? []);
      if (body.tools === true) capabilities.add('tools');
      if (body.vision === true) capabilities.add('vision');
      const plan = planQuestion(gateway.catalog, {
        model: body.model,
        constraints,
        capabilities: [...capabilities],
        at: body.date === undefined ? new Date() : new Date(body.date),
        ...(tenant === undefined ? {} : { tenantPolicy: tenant.policy as Constraints }),
      });
      if (plan === null)
        throw new NotFoundError(`The model '${excerpt(body.model, 64)}' does not exist in this gateway's catalog.`, 'model_not_found', 'model');
      return jsonResult(200, explainPlan(plan));
    },
  },
];
