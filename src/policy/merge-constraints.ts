// Narrows a tenant's routing policy by one request's constraints: the request may take routes away, never add them.
import type { Constraints } from '../catalog/index.ts';

/**
 * The effective constraints of a request under a tenant policy. Every field can only narrow the set of routes the
 * tenant allows:
 * - `regions`: the intersection when both give a list (the request's alone when the tenant gives none). An empty
 *   intersection stays an empty list, which allows nothing (the policy fails closed). Entries are compared as strings:
 *   a request naming a region (`swedencentral`) under a tenant listing a zone (`eu`) intersects to nothing;
 * - `compliance`: the union (every tag either requires);
 * - `providers.only`: the intersection; `providers.ignore`: the union; `providers.order`: the request's when given
 *   (ordering never widens);
 * - `allow_fallbacks`: false when either says false; `require_parameters`: true when either says true;
 * - `max_price`: the lower ceiling per field; `sort`: the request's, else the tenant's;
 * - `hosted_tools`: `refuse` when either says so (a request may not drop what its tenant refuses to lose).
 * Fields neither side sets stay absent, so that equal policies give equal (canonical) results.
 */
export function mergeConstraints(tenant: Constraints, request: Constraints): Constraints {
  const merged: Constraints = {};
  const regions = intersect(tenant.regions, request.regions);
  if (regions !== undefined) merged.regions = regions;
  const compliance = unite(tenant.compliance, request.compliance);
  if (compliance !== undefined) merged.compliance = compliance;
  const providers = mergeProviders(tenant.providers, request.providers);
  if (providers !== undefined) merged.providers = providers;
  const allowFallbacks = both(tenant.allow_fallbacks, request.allow_fallbacks, (a, b) => a && b);
  if (allowFallbacks !== undefined) merged.allow_fallbacks = allowFallbacks;
  const requireParameters = both(tenant.require_parameters, request.require_parameters, (a, b) => a || b);
  if (requireParameters !== undefined) merged.require_parameters = requireParameters;
  const sort = request.sort ?? tenant.sort;
  if (sort !== undefined) merged.sort = sort;
  const maxPrice = mergeMaxPrice(tenant.max_price, request.max_price);
  if (maxPrice !== undefined) merged.max_price = maxPrice;
  const hostedTools = both(tenant.hosted_tools, request.hosted_tools, (a, b) => (a === 'refuse' || b === 'refuse' ? 'refuse' : 'drop'));
  if (hostedTools !== undefined) merged.hosted_tools = hostedTools;
  return merged;
}

function mergeProviders(tenant: Constraints['providers'], request: Constraints['providers']): Constraints['providers'] {
  if (tenant === undefined && request === undefined) return undefined;
  const providers: NonNullable<Constraints['providers']> = {};
  const order = request?.order ?? tenant?.order;
  if (order !== undefined) providers.order = [...order];
  const only = intersect(tenant?.only, request?.only);
  if (only !== undefined) providers.only = only;
  const ignore = unite(tenant?.ignore, request?.ignore);
  if (ignore !== undefined) providers.ignore = ignore;
  return providers;
}

function mergeMaxPrice(tenant: Constraints['max_price'], request: Constraints['max_price']): Constraints['max_price'] {
  if (tenant === undefined && request === undefined) return undefined;
  const maxPrice: NonNullable<Constraints['max_price']> = {};
  const prompt = both(tenant?.prompt, request?.prompt, Math.min);
  if (prompt !== undefined) maxPrice.prompt = prompt;
  const completion = both(tenant?.completion, request?.completion, Math.min);
  if (completion !== undefined) maxPrice.completion = completion;
  return maxPrice;
}

/** Items of `b` that are also in `a` (b's order, without duplicates); either alone when the other is absent. */
function intersect(a: readonly string[] | undefined, b: readonly string[] | undefined): string[] | undefined {
  if (a === undefined) return b === undefined ? undefined : [...new Set(b)];
  if (b === undefined) return [...new Set(a)];
  return [...new Set(b)].filter((item) => a.includes(item));
}

/** Items of either, `a`'s first, without duplicates. */
function unite(a: readonly string[] | undefined, b: readonly string[] | undefined): string[] | undefined {
  if (a === undefined && b === undefined) return undefined;
  return [...new Set([...(a ?? []), ...(b ?? [])])];
}

/** `combine(a, b)` when both are set, else whichever is. */
function both<T>(a: T | undefined, b: T | undefined, combine: (a: T, b: T) => T): T | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return combine(a, b);
}
