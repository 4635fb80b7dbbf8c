// Builds an upstream URL from a route's configured endpoint. Only constants and route configuration go into it;
// nothing a client sends can reach the URL.

/**
 * Appends `path` (already safe: constants and encodeURIComponent-ed names) to the endpoint's path, keeping the
 * endpoint's own query parameters and setting `query` ones. Trailing slashes of the endpoint are ignored.
 */
export function buildEndpointUrl(endpoint: string, path: string, query: Record<string, string | undefined> = {}): string {
  // Parsing and serialising a URL costs more than the rest of preparing a small call, and the inputs are a route's
  // configuration and constants: a few distinct URLs per route, remembered (the cache is emptied if it ever fills).
  let key = `${endpoint}\u0000${path}`;
  for (const name in query) key += `\u0000${name}=${query[name] ?? '\u0001'}`;
  const known = builtUrls.get(key);
  if (known !== undefined) return known;
  if (builtUrls.size >= MAX_BUILT_URLS) builtUrls.clear();
  const built = parseAndBuild(endpoint, path, query);
  builtUrls.set(key, built);
  return built;
}

const MAX_BUILT_URLS = 4096;
const builtUrls = new Map<string, string>();

function parseAndBuild(endpoint: string, path: string, query: Record<string, string | undefined>): string {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.hash = '';
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url.toString();
}

/** The endpoint's path without trailing slashes, e.g. `/openai/v1` for `https://x.openai.azure.com/openai/v1/`. */
export function endpointPath(endpoint: string): string {
  return new URL(endpoint).pathname.replace(/\/+$/, '');
}

/**
 * `value` as one URL path segment, or null when it cannot be one: WHATWG URL parsing resolves `.` and `..` segments
 * (even percent-encoded as `%2e`), so such a name would move the request to another path.
 */
export function encodePathSegment(value: string): string | null {
  if (value === '' || /^(\.|%2e)+$/i.test(value)) return null;
  return encodeURIComponent(value);
}
