import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Catalog, loadCatalogText } from '../catalog/index.ts';
import { createLogger } from '../observe/index.ts';
import { AuditTrail, type CatalogReplacement } from '../server/index.ts';
import type { AuditRecord } from '../store/index.ts';
import { reloadCatalogFile, watchFileChanges } from './reload-on-signal.ts';

const yamlOf = (routeId: string) => `server: { master_key: sk-test }
models: [{ id: m, owned_by: t }]
routes: [{ id: ${routeId}, model: m, provider: openai, endpoint: "http://127.0.0.1:9/v1", auth: { type: none } }]
`;

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } }) };
}

/** A gateway as reload sees it: the catalog it runs and the catalogs it was given. */
function gatewayOf(catalog: Catalog) {
  const taken: Catalog[] = [];
  return {
    taken,
    gateway: {
      catalog,
      reload(next: Catalog): CatalogReplacement {
        taken.push(next);
        return { previousVersion: catalog.version, version: next.version, restartNeeded: [] };
      },
    },
  };
}

describe('reloadCatalogFile', () => {
  it('records a refused file in the audit log, without its content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crossway-reload-audit-'));
    try {
      const path = join(dir, 'crossway.yaml');
      const { gateway } = gatewayOf(loadCatalogText(yamlOf('r1'), 'test'));
      const recorded: AuditRecord[] = [];
      let written = () => {};
      const wrote = new Promise<void>((resolve) => (written = resolve));
      const audit = new AuditTrail(
        {
          insertAuditRecord: async (record) => {
            recorded.push(record);
            written();
          },
        },
        capture().logger,
      );
      writeFileSync(path, 'routes: [\n  - key: sk-unit-canary: broken\n');
      assert.equal(reloadCatalogFile(path, { ...gateway, audit }, capture().logger), false);
      await wrote;
      assert.equal(recorded.length, 1);
      assert.equal(recorded[0]?.action, 'config.reload');
      assert.equal(recorded[0]?.outcome, 'error');
      assert.ok(!JSON.stringify(recorded).includes('sk-unit-canary'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands a valid file to the gateway, and refuses an invalid one with reasons but not its content', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crossway-reload-unit-'));
    try {
      const path = join(dir, 'crossway.yaml');
      const { taken, gateway } = gatewayOf(loadCatalogText(yamlOf('r1'), 'test'));
      const { lines, logger } = capture();
      writeFileSync(path, yamlOf('r2'));
      assert.equal(reloadCatalogFile(path, gateway, logger), true);
      assert.equal(taken[0]?.routes[0]?.id, 'r2');
      writeFileSync(path, 'routes: [\n  - key: sk-unit-canary: broken\n');
      assert.equal(reloadCatalogFile(path, gateway, logger), false);
      assert.equal(taken.length, 1, 'the invalid file is not handed over');
      const refusal = lines.find((line) => line.includes('configuration not reloaded'));
      assert.ok(refusal?.includes('not valid YAML'));
      assert.ok(!lines.join('').includes('sk-unit-canary'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('watchFileChanges', () => {
  it('calls back once the watched file changes, and for a Kubernetes ConfigMap swap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crossway-watch-unit-'));
    const path = join(dir, 'crossway.yaml');
    writeFileSync(path, yamlOf('r1'));
    let changes = 0;
    let notify = () => {};
    const onChange = (): void => {
      changes += 1;
      notify();
    };
    const watcher = watchFileChanges(path, onChange, capture().logger);
    try {
      assert.ok(watcher !== null);
      const changed = () =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no change seen within 10 s')), 10_000);
          notify = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      const first = changed();
      writeFileSync(path, yamlOf('r2'));
      await first;
      const second = changed();
      writeFileSync(join(dir, '..data'), 'swapped');
      await second;
      assert.equal(changes, 2);
    } finally {
      watcher?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
