// Reload without restart: SIGHUP (and, with --watch, a change of the file) reads crossway.yaml again and swaps it in.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { CatalogError, loadCatalogFile } from '../catalog/index.ts';
import type { RunningGateway } from '../server/index.ts';

/** A file change is read this long after the last event: editors write a file in several steps. */
const WATCH_SETTLE_MS = 200;

/** What watchReload returns: `reload` does what a SIGHUP does; `stop` removes the handler and the watcher. */
export interface ReloadWatch {
  reload(): boolean;
  stop(): void;
}

/**
 * Reloads `path` into `gateway` on SIGHUP, and on changes of the file when `watchFile` is set. The new file is built
 * and validated first; an invalid one is refused with its reasons logged (first lines only: a YAML error may quote the
 * file, and the file may hold a key), and the running configuration keeps serving.
 */
export function watchReload(options: { path: string; gateway: ReloadTarget; logger: Logger; watchFile: boolean }): ReloadWatch {
  const reload = (): boolean => reloadCatalogFile(options.path, options.gateway, options.logger);
  const onHangup = (): void => {
    reload();
  };
  process.on('SIGHUP', onHangup);
  const watcher = options.watchFile ? watchFileChanges(options.path, reload, options.logger) : null;
  return {
    reload,
    stop() {
      process.off('SIGHUP', onHangup);
      watcher?.close();
    },
  };
}

/** What a reload needs of the gateway; `audit`, when there, records a refused file (a taken one is recorded by `reload`). */
export type ReloadTarget = Pick<RunningGateway, 'catalog' | 'reload'> & Partial<Pick<RunningGateway, 'audit'>>;

/** Reads, validates and swaps in the file; false (and a warning, and an audit entry) when it is invalid. */
export function reloadCatalogFile(path: string, gateway: ReloadTarget, logger: Logger): boolean {
  const running = gateway.catalog.version;
  let next: ReturnType<typeof loadCatalogFile>;
  try {
    next = loadCatalogFile(path);
  } catch (error) {
    const issues = error instanceof CatalogError ? error.issues : [(error as Error).message];
    logger.warn({ config: path, version: running, issues: issues.map(firstLine) }, 'configuration not reloaded: the file is invalid; the running one is kept');
    void gateway.audit?.record({
      actor: { kind: 'master', id: null, name: 'configuration file' },
      tenant_id: null,
      action: 'config.reload',
      target: { type: 'config', id: running },
      outcome: 'error',
      ip: null,
    });
    return false;
  }
  const outcome = gateway.reload(next);
  logger.info({ config: path, version: outcome.version, previous_version: outcome.previousVersion, routes: next.routes.length }, 'configuration reloaded');
  if (outcome.restartNeeded.length > 0) {
    logger.warn({ settings: outcome.restartNeeded }, 'these settings changed but take effect only after a restart; their running values are kept');
  }
  return true;
}

/**
 * Calls `onChange` once the file settled after a change. The directory is watched, since editors replace the file, and
 * so does Kubernetes: a mounted ConfigMap changes by swapping its `..data` link, which is the entry that changes.
 */
export function watchFileChanges(path: string, onChange: () => void, logger: Logger): FSWatcher | null {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  try {
    const watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name && !changed.startsWith('..')) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, WATCH_SETTLE_MS);
      timer.unref();
    });
    watcher.on('error', (error) => logger.warn({ err: error }, 'watching the configuration file failed; SIGHUP still reloads it'));
    return watcher;
  } catch (error) {
    logger.warn({ err: error }, 'cannot watch the configuration file; SIGHUP still reloads it');
    return null;
  }
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 500);
}
