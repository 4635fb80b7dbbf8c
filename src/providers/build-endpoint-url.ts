// Builds an upstream URL from a route's configured endpoint. Only constants and route configuration go into it;
// nothing a client sends can reach the URL.

/**
 * Appends `path` (already safe: constants and encodeURIComponent-ed names) to the endpoint's path, keeping the
 * endpoint's own query parameters and setting `query` ones. Trailing slashes of the endpoint are ignored.
 */
export function buildEndpointUrl(endpoint: string, path: string, query: Record<string, string | undefined> = {}): string {
  let key = `${endpoint}\u0000${path}`;
  for (const name in query) key += `\u0000${name}=${query[name] ?? '\u0001'}`;
  return remember(builtUrls, key, () => parseAndBuild(endpoint, path, query));
}

/**
 * An upstream URL (one buildEndpointUrl made) as the origin and the path with its query, which is how undici's
 * `dispatch` takes a request.
 */
export function splitUpstreamUrl(url: string): { origin: string; path: string } {
  return remember(splitUrls, url, () => {
    const parsed = new URL(url);
    return { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
  });
}

// Parsing and serialising a URL costs more than the rest of preparing a small call, and the inputs are a route's
// configuration and constants: a few distinct URLs per route, remembered (a cache is emptied if it ever fills).
const MAX_REMEMBERED_URLS = 4096;
const builtUrls = new Map<string, string>();
const splitUrls = new Map<string, { origin: string; path: string }>();

function remember<T>(cache: Map<string, T>, key: string, make: () => T): T {
  const known = cache.get(key);
  if (known !== undefined) return known;
  if (cache.size >= MAX_REMEMBERED_URLS) cache.clear();
  const made = make();
  cache.set(key, made);
  return made;
}

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
