// Reload without restart: which settings of a new crossway.yaml a running gateway can take, and taking them.
import { createHash } from 'node:crypto';
import { type Catalog, Secret } from '../catalog/index.ts';
import type { Executor } from '../execute/index.ts';
import type { Ledger } from '../metering/index.ts';
import type { PlanCache } from '../policy/index.ts';

/**
 * The parts of the configuration a running gateway reads per call (and so can swap). Every other top-level section
 * (server: port, host, master key, limits; store; redis; execute; decisions; request_log; runtime) is read once at
 * start, by the listener, the store, the counters and the executor: a change there needs a restart.
 */
const RELOADABLE_SECTIONS: ReadonlySet<string> = new Set(['models', 'routes', 'agreements', 'policy', 'include']);

/** What a reload did: the catalog versions, and the settings that changed but wait for a restart (dotted paths). */
export interface CatalogReplacement {
  previousVersion: string;
  version: string;
  restartNeeded: string[];
}

/** The services that follow the catalog. */
export interface CatalogHolder {
  /** The catalog new calls plan with; a call reads it once, at its start, and keeps it (see runModelCall). */
  catalog: Catalog;
  executor: Executor;
  ledger: Ledger;
  planCache: PlanCache;
}

/**
 * Swaps `next` in, in one synchronous step (no call can see half of it): new calls plan with it, calls in flight finish
 * on the routes they planned with, the executor's route groups and the ledger's agreements follow, the plan cache is
 * emptied (a plan holds route objects, with their prices and credentials). Settings that need a restart keep their
 * running values, which stay in effect because the services that read them were built from them at start.
 */
export function replaceCatalog(holder: CatalogHolder, next: Catalog): CatalogReplacement {
  const previous = holder.catalog;
  const restartNeeded = findRestartSettings(previous, next);
  holder.catalog = next;
  holder.executor.replaceRoutes(next.routes);
  holder.ledger.replaceAgreements(next.agreements);
  holder.planCache.clear();
  return { previousVersion: previous.version, version: next.version, restartNeeded };
}

/** Dotted paths of the settings outside RELOADABLE_SECTIONS that differ; secrets are compared by value, never shown. */
export function findRestartSettings(previous: Catalog, next: Catalog): string[] {
  const changed: string[] = [];
  const before = previous.config as unknown as Record<string, unknown>;
  const after = next.config as unknown as Record<string, unknown>;
  for (const section of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (RELOADABLE_SECTIONS.has(section)) continue;
    const a = before[section];
    const b = after[section];
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (fingerprint(a[key]) !== fingerprint(b[key])) changed.push(`${section}.${key}`);
      }
    } else if (fingerprint(a) !== fingerprint(b)) changed.push(section);
  }
  return changed;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Secret);
}

/** A value as comparable text: a Secret as a hash of its value, so that a changed password counts as a change. */
function fingerprint(value: unknown): string {
  return (
    JSON.stringify(value, function replace(this: unknown, key: string, item: unknown) {
      const raw = key === '' ? value : (this as Record<string, unknown>)[key];
      return raw instanceof Secret ? `secret:${createHash('sha256').update(raw.reveal()).digest('hex')}` : item;
    }) ?? 'undefined'
  );
}
