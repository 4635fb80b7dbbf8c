// Reads one request's routing constraints: the body's `crossway` object (modelled on OpenRouter's provider
// preferences, https://openrouter.ai/docs/features/provider-routing) and the `x-crossway-*` headers for clients that
// cannot add body fields. Both narrow: they are combined with mergeConstraints, and the tenant's policy after them.
import { constraintsSchema, MAX_CONSTRAINT_LIST_ENTRIES, MAX_CONSTRAINT_NAME_CHARACTERS, type Constraints } from '../catalog/index.ts';
import { describeIssue, formatPath, InvalidRequestError } from '../wire/index.ts';
import { mergeConstraints } from './merge-constraints.ts';

/** Request headers as node:http gives them (lower-case names). */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** The headers that carry constraints, and the field each fills. */
export const CONSTRAINT_HEADERS = {
  regions: 'x-crossway-regions',
  compliance: 'x-crossway-compliance',
  providersOnly: 'x-crossway-providers-only',
  providersIgnore: 'x-crossway-providers-ignore',
  providersOrder: 'x-crossway-providers-order',
  sort: 'x-crossway-sort',
  allowFallbacks: 'x-crossway-allow-fallbacks',
  hostedTools: 'x-crossway-hosted-tools',
} as const;

const SORTS = ['price', 'latency', 'throughput'] as const;

/**
 * The constraints `body.crossway` and the headers ask for. The body object is strict (an unknown key is a 400, so a
 * misspelt constraint is never silently ignored); header lists are comma-separated and trimmed; booleans are `true` or
 * `false`. Throws InvalidRequestError naming `crossway.<field>` or the header.
 */
export function readRequestConstraints(body: unknown, headers: RequestHeaders): Constraints {
  return mergeConstraints(readBodyConstraints(body), readHeaderConstraints(headers));
}

function readBodyConstraints(body: unknown): Constraints {
  if (body === null || typeof body !== 'object' || !('crossway' in body)) return {};
  const value = (body as { crossway: unknown }).crossway;
  if (value === null || value === undefined) return {};
  const result = constraintsSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new InvalidRequestError(`Invalid value for 'crossway'.`, 'crossway', 'invalid_value');
  // An unknown key is named by its own path, so that the client sees which spelling Crossway did not know.
  const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = formatPath(unknown === undefined ? issue.path : [...issue.path, unknown]);
  const param = path === '' ? 'crossway' : `crossway.${path}`;
  const problem = unknown === undefined ? describeIssue(issue) : 'unknown routing constraint';
  throw new InvalidRequestError(`Invalid value for '${param}': ${problem}.`, param, 'invalid_value');
}

function readHeaderConstraints(headers: RequestHeaders): Constraints {
  const constraints: Constraints = {};
  const regions = readList(headers, CONSTRAINT_HEADERS.regions);
  if (regions !== undefined) constraints.regions = regions;
  const compliance = readList(headers, CONSTRAINT_HEADERS.compliance);
  if (compliance !== undefined) constraints.compliance = compliance;
  const only = readList(headers, CONSTRAINT_HEADERS.providersOnly);
  const ignore = readList(headers, CONSTRAINT_HEADERS.providersIgnore);
  const order = readList(headers, CONSTRAINT_HEADERS.providersOrder);
  if (only !== undefined || ignore !== undefined || order !== undefined) {
    constraints.providers = {};
    if (only !== undefined) constraints.providers.only = only;
    if (ignore !== undefined) constraints.providers.ignore = ignore;
    if (order !== undefined) constraints.providers.order = order;
  }
  const sort = readHeader(headers, CONSTRAINT_HEADERS.sort);
  if (sort !== undefined) {
    const value = sort.trim().toLowerCase();
    const known = SORTS.find((candidate) => candidate === value);
    if (known === undefined) throw invalidHeader(CONSTRAINT_HEADERS.sort, `must be one of ${SORTS.join(', ')}`);
    constraints.sort = known;
  }
  const allowFallbacks = readHeader(headers, CONSTRAINT_HEADERS.allowFallbacks);
  if (allowFallbacks !== undefined) {
    const value = allowFallbacks.trim().toLowerCase();
    if (value !== 'true' && value !== 'false') throw invalidHeader(CONSTRAINT_HEADERS.allowFallbacks, 'must be true or false');
    constraints.allow_fallbacks = value === 'true';
  }
  const hostedTools = readHeader(headers, CONSTRAINT_HEADERS.hostedTools);
  if (hostedTools !== undefined) {
    const value = hostedTools.trim().toLowerCase();
    if (value !== 'drop' && value !== 'refuse') throw invalidHeader(CONSTRAINT_HEADERS.hostedTools, 'must be drop or refuse');
    constraints.hosted_tools = value;
  }
  return constraints;
}

/** A header's value; repeated headers are joined with commas, as HTTP defines for list-valued fields. */
function readHeader(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function readList(headers: RequestHeaders, name: string): string[] | undefined {
  const value = readHeader(headers, name);
  if (value === undefined) return undefined;
  const items = [
    ...new Set(
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    ),
  ];
  if (items.length === 0) throw invalidHeader(name, 'must list at least one comma-separated value');
  // The same bounds as the body's lists (constraintsSchema): what a request names is kept in plan-cache keys and decisions.
  if (items.length > MAX_CONSTRAINT_LIST_ENTRIES) throw invalidHeader(name, `must list at most ${MAX_CONSTRAINT_LIST_ENTRIES} values`);
  if (items.some((item) => item.length > MAX_CONSTRAINT_NAME_CHARACTERS))
    throw invalidHeader(name, `values must be at most ${MAX_CONSTRAINT_NAME_CHARACTERS} characters`);
  return items;
}

function invalidHeader(name: string, problem: string): InvalidRequestError {
  return new InvalidRequestError(`Invalid header '${name}': ${problem}.`, name, 'invalid_value');
}
