// The error adapters raise when a route's configuration cannot produce a valid upstream call.
import type { Route } from '../catalog/index.ts';
import { UpstreamError } from '../wire/index.ts';

/**
 * A route whose configuration is unusable (unknown API variant, unusable deployment name). Retryable, so that the
 * executor fails over to a route that works; the message names the route and the setting, never a secret.
 */
export function routeConfigurationError(route: Route, message: string): UpstreamError {
  return new UpstreamError(message, {
    route: route.id,
    status: 500,
    code: 'route_misconfigured',
    type: 'server_error',
    retryable: true,
  });
}
