// Vertex AI's OpenAI-compatible endpoint: the URL of each operation, built from the route alone; the bodies are
// OpenAI's (see openai/), with the route's `deployment` (e.g. `openai/gpt-oss-120b-maas`) as `model`.
// Sources: Vertex AI REST reference, `projects.locations.endpoints.chat.completions` ("Exposes an OpenAI-compatible
// endpoint for chat completions": `POST https://{service-endpoint}/{v1|v1beta1}/{endpoint}/chat/completions`, with
// `endpoint` = `projects/{project}/locations/{location}/endpoints/openapi`) and
// `projects.locations.endpoints.openapi.embeddings` (`POST .../endpoints/openapi/embeddings`, in the aiplatform v1
// discovery document); "Call Vertex AI models by using the OpenAI library"
// (cloud.google.com/vertex-ai/generative-ai/docs/migrate/openai/overview): base URL
// `https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/endpoints/openapi`;
// "Call MaaS APIs for open models" (.../docs/maas/call-open-model-apis) and "OpenAI models" (.../docs/maas/openai):
// gpt-oss is served there, in `global` among other locations, under the model id `openai/gpt-oss-120b-maas`
// (publisher/model, as the Vercel AI SDK's google-vertex MaaS provider also sends it). Hosts: `global` is served by
// `aiplatform.googleapis.com`, a region by `{region}-aiplatform.googleapis.com`, the `us`/`eu` multi-regions by
// `aiplatform.{us|eu}.rep.googleapis.com` (the same SDK's getHost).
import type { Route } from '../../catalog/index.ts';
import { buildEndpointUrl, encodePathSegment, endpointPath } from '../build-endpoint-url.ts';
import type { OpenAIOperation } from '../openai/index.ts';
import { routeConfigurationError } from '../route-configuration-error.ts';

/** Versions of the Vertex AI API that serve the OpenAI-compatible endpoint. */
export type VertexApiVersion = 'v1' | 'v1beta1';

/** The version used when the route sets no `api_version`: Google's OpenAI-library examples call `v1`. */
export const VERTEX_DEFAULT_API_VERSION: VertexApiVersion = 'v1';

/** The Vertex AI API Crossway calls: the OpenAI-compatible `endpoints/openapi` (the only one, and the default). */
export const VERTEX_OPENAPI = 'openapi';

const GOOGLE_API_DOMAIN = '.googleapis.com';
const LOCATION_PATTERN = /^[a-z][a-z0-9-]*$/;
const MULTI_REGIONS: ReadonlySet<string> = new Set(['us', 'eu']);

/** The route's API version: `api_version` `v1` (default) or `v1beta1`; anything else is a route configuration error. */
export function resolveVertexApiVersion(route: Route): VertexApiVersion {
  switch (route.api_version) {
    case undefined:
    case 'v1':
      return 'v1';
    case 'v1beta1':
      return 'v1beta1';
    default:
      throw routeConfigurationError(route, `Vertex route has unknown api_version '${route.api_version}' (use 'v1' or 'v1beta1')`);
  }
}

/** Google's endpoint for a location: `https://aiplatform.googleapis.com` for `global`, else the regional host. */
export function defaultVertexEndpoint(location: string): string {
  if (location === 'global') return 'https://aiplatform.googleapis.com';
  if (MULTI_REGIONS.has(location)) return `https://aiplatform.${location}.rep.googleapis.com`;
  return `https://${location}-aiplatform.googleapis.com`;
}

/**
 * `<endpoint>/<version>/projects/<project>/locations/<region>/endpoints/openapi/<operation>`.
 * `route.endpoint` is the host (`https://us-central1-aiplatform.googleapis.com`, or any other base such as a local
 * emulator or a proxy, whose path is kept as a prefix); `route.project` is required; `route.region` is the location.
 * On Google's own hosts the location must be one that host serves (a regional host serves only its region), so that a
 * typo fails here, naming the route, instead of at Google.
 */
export function buildVertexUrl(route: Route, operation: OpenAIOperation): string {
  if (route.api !== undefined && route.api !== VERTEX_OPENAPI) {
    throw routeConfigurationError(route, `Vertex route has unknown api '${route.api}' (only '${VERTEX_OPENAPI}' is supported)`);
  }
  const version = resolveVertexApiVersion(route);
  const project = route.project === undefined ? null : encodePathSegment(route.project);
  if (project === null) {
    throw routeConfigurationError(
      route,
      route.project === undefined ? 'Vertex route needs a project (the Google Cloud project id)' : `Vertex project '${route.project}' cannot be used in a URL`,
    );
  }
  const location = route.region;
  if (!LOCATION_PATTERN.test(location)) {
    throw routeConfigurationError(route, `Vertex location (region) '${location}' is not a location name`);
  }
  checkEndpoint(route, location);
  return buildEndpointUrl(route.endpoint, `/${version}/projects/${project}/locations/${location}/endpoints/${VERTEX_OPENAPI}/${operation}`);
}

/** Rejects endpoints that already hold the API path, and Google hosts that do not serve the route's location. */
function checkEndpoint(route: Route, location: string): void {
  if (/\/projects\//.test(endpointPath(route.endpoint))) {
    throw routeConfigurationError(
      route,
      `Vertex endpoint must be the host only (e.g. ${defaultVertexEndpoint(location)}); project, region and path come from the route`,
    );
  }
  const host = new URL(route.endpoint).hostname.toLowerCase();
  if (!host.endsWith(GOOGLE_API_DOMAIN)) return;
  const served = locationOfGoogleHost(host);
  if (served !== null && served !== location) {
    throw routeConfigurationError(route, `Vertex endpoint ${host} serves location '${served}', not '${location}' (use ${defaultVertexEndpoint(location)})`);
  }
}

/** The one location a Google Vertex host serves, or null when it serves all (`aiplatform.googleapis.com`) or is not one. */
function locationOfGoogleHost(host: string): string | null {
  const regional = /^([a-z0-9-]+)-aiplatform\.googleapis\.com$/.exec(host);
  if (regional !== null) return regional[1] ?? null;
  const multiRegion = /^aiplatform\.([a-z0-9-]+)\.rep\.googleapis\.com$/.exec(host);
  return multiRegion === null ? null : (multiRegion[1] ?? null);
}
