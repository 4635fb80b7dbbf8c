// Loads crossway.yaml: parses YAML, fills `${ENV}` references, validates with zod and indexes models and routes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { formatPath } from '../wire/index.ts';
import { Secret } from './secret.ts';
import { configSchema, type Agreement, type CrosswayConfig, type ModelEntry, type Route } from './catalog-schema.ts';

/** A loaded, validated configuration with its lookups. */
export interface Catalog {
  config: CrosswayConfig;
  /** Hash of the validated content; later caches key on it. */
  version: string;
  models: ModelEntry[];
  routes: Route[];
  agreements: Agreement[];
  /** Resolves a model id or alias to the model and its routes in configured order. */
  findModel(name: string): { model: ModelEntry; routes: Route[] } | undefined;
  findRoute(id: string): Route | undefined;
}

/** A configuration that cannot be used; the message names the field and the reason. */
export class CatalogError extends Error {
  override name = 'CatalogError';
  readonly issues: string[];
  constructor(source: string, issues: string[]) {
    super(`Invalid configuration in ${source}:\n  - ${issues.join('\n  - ')}`);
    this.issues = issues;
  }
}

export interface LoadOptions {
  /** Variables for `${NAME}` references; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Put `<NAME>` where a variable without default is unset instead of failing (for listings that need no secrets). */
  placeholders?: boolean;
  /** Directory that `include` paths are relative to (the config file's); defaults to the working directory. */
  baseDir?: string;
}

/** Reads and validates a configuration file. */
export function loadCatalogFile(path: string, options: LoadOptions = {}): Catalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CatalogError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  return loadCatalogText(text, path, { baseDir: dirname(path), ...options });
}

/** Parses and validates configuration text; `source` names it in errors. */
export function loadCatalogText(text: string, source: string, options: LoadOptions = {}): Catalog {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new CatalogError(source, [`not valid YAML: ${(error as Error).message}`]);
  }
  return buildCatalog(withIncludes(raw, source, options.baseDir ?? '.'), source, options);
}

/**
 * A configuration file as plain data, before validation and `${ENV}` filling, with its included agreements merged in:
 * for tools that rearrange a catalog before building it (pass the result to buildCatalog).
 */
export function readRawConfig(path: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CatalogError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  const merged = withIncludes(raw, path, dirname(path));
  if (merged === null || typeof merged !== 'object') throw new CatalogError(path, ['not a mapping']);
  const { include: _include, ...rest } = merged as Record<string, unknown>;
  return rest;
}

/** Adds the `agreements` of every `include`d file to the configuration's own. */
function withIncludes(raw: unknown, source: string, baseDir: string): unknown {
  if (raw === null || typeof raw !== 'object' || !Array.isArray((raw as { include?: unknown }).include)) return raw;
  const config = raw as { include: unknown[]; agreements?: unknown };
  const agreements: unknown[] = Array.isArray(config.agreements) ? [...(config.agreements as unknown[])] : [];
  for (const [index, entry] of config.include.entries()) {
    if (typeof entry !== 'string') continue;
    const path = resolve(baseDir, entry);
    let included: unknown;
    try {
      included = parseYaml(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new CatalogError(source, [`include[${index}]: cannot read ${entry}: ${(error as Error).message}`]);
    }
    const more = (included as { agreements?: unknown } | null)?.agreements;
    if (!Array.isArray(more)) throw new CatalogError(source, [`include[${index}]: ${entry} has no agreements list`]);
    agreements.push(...(more as unknown[]));
  }
  return { ...config, agreements };
}

/** Validates an already-parsed configuration object. */
export function buildCatalog(raw: unknown, source: string, options: LoadOptions = {}): Catalog {
  const env = options.env ?? process.env;
  const missing: string[] = [];
  const interpolated = interpolateEnv(raw, env, [], missing, options.placeholders === true);
  if (missing.length > 0) throw new CatalogError(source, missing);

  const result = configSchema.safeParse(interpolated);
  if (!result.success) {
    throw new CatalogError(
      source,
      result.error.issues.map((issue) => `${formatPath(issue.path) || '(root)'}: ${issue.message}`),
    );
  }
  const config = result.data;
  // The environment selects the shared backends when the file does not (`npm start` with CROSSWAY_DATABASE_URL set).
  const databaseUrl = env.CROSSWAY_DATABASE_URL;
  if (config.store.postgres === undefined && databaseUrl !== undefined && databaseUrl !== '') config.store.postgres = new Secret(databaseUrl);
  const redisUrl = env.CROSSWAY_REDIS_URL;
  if (config.redis.url === undefined && redisUrl !== undefined && redisUrl !== '') config.redis.url = new Secret(redisUrl);
  const problems = checkReferences(config);
  if (problems.length > 0) throw new CatalogError(source, problems);
  return indexCatalog(config);
}

function indexCatalog(config: CrosswayConfig): Catalog {
  const modelByName = new Map<string, ModelEntry>();
  for (const model of config.models) {
    modelByName.set(model.id, model);
    for (const alias of model.aliases) modelByName.set(alias, model);
  }
  const routesByModel = new Map<string, Route[]>();
  for (const route of config.routes) {
    const list = routesByModel.get(route.model) ?? [];
    list.push(route);
    routesByModel.set(route.model, list);
  }
  const routeById = new Map(config.routes.map((route) => [route.id, route]));
  // Secrets serialise as "[redacted]", so the version never depends on (or reveals) a credential.
  const version = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
  return {
    config,
    version,
    models: config.models,
    routes: config.routes,
    agreements: config.agreements,
    findModel(name) {
      const model = modelByName.get(name);
      if (model === undefined) return undefined;
      return { model, routes: routesByModel.get(model.id) ?? [] };
    },
    findRoute: (id) => routeById.get(id),
  };
}

function checkReferences(config: CrosswayConfig): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  config.models.forEach((model, index) => {
    for (const [offset, name] of [model.id, ...model.aliases].entries()) {
      const where = offset === 0 ? `models[${index}].id` : `models[${index}].aliases[${offset - 1}]`;
      if (names.has(name)) problems.push(`${where}: '${name}' is already a model id or alias`);
      names.add(name);
    }
  });
  const modelIds = new Set(config.models.map((model) => model.id));
  const routeIds = new Set<string>();
  config.routes.forEach((route, index) => {
    if (routeIds.has(route.id)) problems.push(`routes[${index}].id: duplicate route id '${route.id}'`);
    routeIds.add(route.id);
    const apis = API_VARIANTS[route.provider];
    if (route.api !== undefined && !apis.includes(route.api)) {
      problems.push(`routes[${index}].api: '${route.api}' is not an API of provider ${route.provider} (use ${apis.join(' or ') || 'nothing'})`);
    }
    if (route.provider === 'vertex' && route.project === undefined) {
      problems.push(`routes[${index}].project: Vertex AI routes need the Google Cloud project id`);
    }
    if (!modelIds.has(route.model)) {
      problems.push(`routes[${index}].model: unknown model '${route.model}' (declare it under models)`);
    }
  });
  const agreementIds = new Set<string>();
  config.agreements.forEach((agreement, index) => {
    if (agreementIds.has(agreement.id)) problems.push(`agreements[${index}].id: duplicate agreement id '${agreement.id}'`);
    agreementIds.add(agreement.id);
    for (const [offset, model] of (agreement.models ?? []).entries()) {
      if (!modelIds.has(model)) problems.push(`agreements[${index}].models[${offset}]: unknown model '${model}'`);
    }
  });
  return problems;
}

/** The protocol variants each adapter speaks (`route.api`); the first is the default. */
const API_VARIANTS: Record<Route['provider'], string[]> = {
  openai: [],
  azure: ['v1', 'deployments'],
  bedrock: ['converse', 'openai', 'mantle'],
  vertex: [],
};

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${NAME}` and `${NAME:-default}` in every string; unset names without default are reported. */
function interpolateEnv(value: unknown, env: Record<string, string | undefined>, path: (string | number)[], missing: string[], placeholders: boolean): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_whole, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      if (placeholders) return `<${name}>`;
      missing.push(`${formatPath(path) || '(root)'}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, [...path, index], missing, placeholders));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateEnv(item, env, [...path, key], missing, placeholders);
    return out;
  }
  return value;
}
