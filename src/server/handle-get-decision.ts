// GET /v1/crossway/decisions/{id}: the routing decision behind a response (its `x-crossway-decision` header), as JSON.
import { NotFoundError } from '../wire/index.ts';
import type { Exchange, GatewayContext, HttpResult } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';

// Decision ids are `dec_` + 32 hex digits; anything far longer is not one and is not worth a lookup.
const MAX_ID_LENGTH = 128;

/**
 * One decision by id, for the master key or a key of the tenant that made the request. Unknown, pruned and other
 * tenants' decisions are the same 404 (OpenAI's shape, code `decision_not_found`): an id reveals nothing.
 */
export async function handleGetDecision(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const id = params.rest ?? '';
  const found = id.length > MAX_ID_LENGTH || id.includes('/') ? null : await gateway.decisions.get(id);
  const principal = exchange.principal;
  const visible = principal?.kind === 'master' || (found?.tenant ?? 'default') === principal?.tenant.id;
  const record = visible ? found : null;
  if (record === null) {
    const hours = gateway.catalog.config.decisions.retention_hours;
    throw new NotFoundError(
      `No decision with id '${id.slice(0, MAX_ID_LENGTH)}': unknown, or older than the ${hours} hours decisions are kept.`,
      'decision_not_found',
    );
  }
  return jsonResult(200, record);
}
