// Deterministic JSON Schema instance generator: tool-call arguments and `json_schema` replies that validate.
// Covers the subset OpenAI's structured outputs accept (https://platform.openai.com/docs/guides/structured-outputs):
// type (also as a list), properties/required, items/prefixItems, enum/const, anyOf/oneOf/allOf, local $ref,
// string formats and length bounds, numeric bounds and multipleOf. `pattern` is not honoured.
import { hashToIndex, sha256Hex } from './sha256-hex.ts';

type SchemaObject = Record<string, unknown>;

interface Context {
  root: unknown;
  seed: string;
  depth: number;
}

const MAX_DEPTH = 24;

/** A value that validates against `schema`; the same (schema, seed) always yields the same value. */
export function generateSchemaInstance(schema: unknown, seed: string): unknown {
  return generate(schema, '$', { root: schema, seed, depth: 0 });
}

function generate(schema: unknown, path: string, context: Context): unknown {
  if (schema === true || schema === undefined) return 'value';
  if (!isObject(schema) || context.depth > MAX_DEPTH) return null;
  const next = { ...context, depth: context.depth + 1 };

  if (typeof schema.$ref === 'string') return generate(resolveRef(context.root, schema.$ref), path, next);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    return schema.enum[hashToIndex(schema.enum.length, context.seed, path, 'enum')];
  }
  const union = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (union !== undefined && union.length > 0) return generate(preferNonNull(union), path, next);
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) return generate(mergeAllOf(schema, context.root), path, next);

  switch (pickType(schema)) {
    case 'object':
      return generateObject(schema, path, next);
    case 'array':
      return generateArray(schema, path, next);
    case 'integer':
      return generateNumber(schema, true, path, context.seed);
    case 'number':
      return generateNumber(schema, false, path, context.seed);
    case 'boolean':
      return hashToIndex(2, context.seed, path) === 0;
    case 'null':
      return null;
    default:
      return generateString(schema, path, context.seed);
  }
}

function generateObject(schema: SchemaObject, path: string, context: Context): Record<string, unknown> {
  const properties = isObject(schema.properties) ? schema.properties : {};
  // Without a `required` list every declared property is filled: still valid, and more useful to read.
  const keys = Array.isArray(schema.required) ? schema.required.filter((key): key is string => typeof key === 'string') : Object.keys(properties);
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = generate(properties[key] ?? true, `${path}.${key}`, context);
  return out;
}

function generateArray(schema: SchemaObject, path: string, context: Context): unknown[] {
  const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
  const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, prefix.length, 1);
  const count = Math.min(Math.max(min, prefix.length, 1), max);
  const items = Array.isArray(schema.items) ? undefined : schema.items;
  return Array.from({ length: count }, (_, index) => generate(prefix[index] ?? items ?? true, `${path}[${index}]`, context));
}

function generateNumber(schema: SchemaObject, integer: boolean, path: string, seed: string): number {
  const step = integer ? 1 : 0.5;
  const exclusiveLow = num(schema.exclusiveMinimum);
  const exclusiveHigh = num(schema.exclusiveMaximum);
  let low = num(schema.minimum) ?? (exclusiveLow === undefined ? undefined : exclusiveLow + step);
  let high = num(schema.maximum) ?? (exclusiveHigh === undefined ? undefined : exclusiveHigh - step);
  low ??= high === undefined ? 1 : high - 10;
  high ??= low + 100;
  if (integer) [low, high] = [Math.ceil(low), Math.floor(high)];
  let value = low + hashToIndex(Math.max(0, Math.floor(high - low)) + 1, seed, path);
  if (!integer && value + 0.5 <= high) value += 0.5;
  const multipleOf = num(schema.multipleOf);
  if (multipleOf !== undefined && multipleOf > 0) {
    const rounded = Math.ceil(low / multipleOf) * multipleOf;
    value = rounded <= high ? rounded : Math.floor(high / multipleOf) * multipleOf;
  }
  return value;
}

function generateString(schema: SchemaObject, path: string, seed: string): string {
  const hex = sha256Hex(seed, path);
  let value: string;
  switch (schema.format) {
    case 'date-time':
      value = '2026-01-01T00:00:00Z';
      break;
    case 'date':
      value = '2026-01-01';
      break;
    case 'time':
      value = '12:00:00Z';
      break;
    case 'email':
      value = `emulator-${hex.slice(0, 6)}@example.com`;
      break;
    case 'uri':
    case 'url':
      value = `https://example.com/${hex.slice(0, 8)}`;
      break;
    case 'uuid':
      value = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
      break;
    default: {
      const label = (/[A-Za-z_][\w-]*$/.exec(path)?.[0] ?? 'text').replace(/_/g, ' ');
      value = `${label === '$' ? 'text' : label} ${hex.slice(0, 6)}`;
    }
  }
  const minLength = num(schema.minLength) ?? 0;
  const maxLength = num(schema.maxLength);
  if (value.length < minLength) value = value.padEnd(minLength, 'x');
  if (maxLength !== undefined && value.length > maxLength) value = value.slice(0, maxLength);
  return value;
}

/** The schema's type; a list picks its first non-null member, a missing type is inferred from the keywords. */
function pickType(schema: SchemaObject): string {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return (type.find((t) => t !== 'null') ?? type[0] ?? 'string') as string;
  if (isObject(schema.properties) || schema.required !== undefined) return 'object';
  if (schema.items !== undefined || schema.prefixItems !== undefined) return 'array';
  return 'string';
}

function preferNonNull(options: unknown[]): unknown {
  return options.find((option) => !(isObject(option) && option.type === 'null')) ?? options[0];
}

function mergeAllOf(schema: SchemaObject, root: unknown): SchemaObject {
  const merged: SchemaObject = { ...schema, allOf: undefined, properties: { ...(isObject(schema.properties) ? schema.properties : {}) } };
  const required = new Set<unknown>(Array.isArray(schema.required) ? schema.required : []);
  for (const part of schema.allOf as unknown[]) {
    const resolved = isObject(part) && typeof part.$ref === 'string' ? resolveRef(root, part.$ref) : part;
    if (!isObject(resolved)) continue;
    Object.assign(merged.properties as SchemaObject, isObject(resolved.properties) ? resolved.properties : {});
    for (const key of Array.isArray(resolved.required) ? resolved.required : []) required.add(key);
    for (const [key, value] of Object.entries(resolved)) {
      if (key !== 'properties' && key !== 'required' && merged[key] === undefined) merged[key] = value;
    }
  }
  delete merged.allOf;
  merged.required = [...required];
  return merged;
}

/** Resolves a local JSON pointer such as `#/$defs/address`; remote references resolve to "anything". */
function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return true;
  let node: unknown = root;
  for (const raw of ref
    .slice(1)
    .split('/')
    .filter((part) => part !== '')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : undefined;
  }
  return node ?? true;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
