// Capabilities: each one the request uses must be declared by the route, with two implied by the model's kind.
import type { Capability, ModelEntry, Route } from '../catalog/index.ts';
import type { RejectionReason } from './plan-types.ts';
import type { RouteCheckContext } from './route-check.ts';

/**
 * What a route can do. A route's `capabilities` list is taken at its word, with two defaults so that simple configs
 * keep working:
 * - a route of an `embedding` model always does `embeddings` (the model's kind says so);
 * - a route of a `chat` model that declares no capabilities at all does `streaming`: every chat adapter streams, and a
 *   route without a list is a simple config that declares nothing else either. A route that lists capabilities but
 *   not `streaming` opts out of streamed requests.
 * Nothing else is implied: a route with an empty list serves plain text requests only, streamed or not.
 */
export function routeCapabilities(route: Route, model: ModelEntry): ReadonlySet<Capability> {
  const capabilities = new Set<Capability>(route.capabilities);
  if (model.kind === 'embedding') capabilities.add('embeddings');
  else if (route.capabilities.length === 0) capabilities.add('streaming');
  return capabilities;
}

/** The capabilities of `needed` that `route` lacks, each once, in `needed`'s order. */
export function findMissingCapabilities(route: Route, model: ModelEntry, needed: readonly Capability[]): Capability[] {
  if (needed.length === 0) return [];
  const declared = routeCapabilities(route, model);
  return [...new Set(needed)].filter((capability) => !declared.has(capability));
}

/** Rejects a route once per capability the request needs and the route lacks; each detail names the capability. */
export function checkCapabilities(route: Route, context: RouteCheckContext): RejectionReason[] {
  return findMissingCapabilities(route, context.model, context.needs.capabilities).map((capability) => ({
    code: 'capability',
    detail: `lacks ${capability}`,
  }));
}
