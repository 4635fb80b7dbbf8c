// Query strings of the admin read APIs, validated with zod where they enter: bounded text, ISO instants, and the
// confinement of a tenant's admin to its own tenant.
import { z } from 'zod';
import { excerpt, NotFoundError, parseRequest } from '../wire/index.ts';
import { adminScope, readQuery } from './admin-access.ts';
import type { Principal } from '../calls/index.ts';
import type { Exchange } from './gateway-types.ts';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A short identifier-like value of a filter (a model, route, tenant or key id): 1 to 256 characters. */
export const filterText = z.string().min(1).max(256);

/** An ISO 8601 date (its 00:00:00Z) or date-time, normalised to `toISOString()` form (the store's text order is time order). */
export const isoInstant = z
  .string()
  .max(64)
  .transform((text, context) => {
    const ms = Date.parse(DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text);
    if (Number.isNaN(ms)) {
      context.addIssue({ code: 'custom', message: 'expected an ISO 8601 date or date-time' });
      return z.NEVER;
    }
    return new Date(ms).toISOString();
  });

/** The query string parsed with `schema` (the last value of a repeated parameter counts); 400 in OpenAI's shape otherwise. */
export function parseQuery<S extends z.ZodType>(exchange: Exchange, schema: S): z.infer<S> {
  return parseRequest(schema, Object.fromEntries(readQuery(exchange)));
}

/**
 * The tenant a read is confined to: the caller's own for a tenant's admin (asking for another is a 404, as if it did
 * not exist), else the one asked for, or every tenant (undefined).
 */
export function confineTenant(principal: Principal, asked: string | undefined): string | undefined {
  const own = adminScope(principal).tenant;
  if (own === undefined) return asked;
  if (asked !== undefined && asked !== own) throw new NotFoundError(`No tenant with id '${excerpt(asked, 64)}'.`, 'tenant_not_found', 'tenant_id');
  return own;
}
