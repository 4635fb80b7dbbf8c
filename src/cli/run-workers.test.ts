import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger } from '../observe/index.ts';
import { runWorkers } from './run-workers.ts';

describe('runWorkers', () => {
  it('replaces dying workers at most restartsPerMinute times, then gives up and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crossway-run-workers-'));
    try {
      const starts = join(dir, 'starts');
      const worker = join(dir, 'crash.mjs');
      // A worker that dies at once, every time: a crash loop.
      writeFileSync(worker, `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(starts)}, 'x');\nprocess.exit(3);\n`);
      const lines: string[] = [];
      const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
      const code = await runWorkers({
        workers: 1,
        path: join(dir, 'crossway.yaml'),
        watch: false,
        logger,
        exec: worker,
        restartsPerMinute: 3,
        baseBackoffMs: 1,
      });
      assert.equal(code, 1);
      assert.equal(readFileSync(starts, 'utf8').length, 4, 'the first start and three replacements, then no more');
      assert.equal(lines.filter((line) => line.includes('worker died; replacing it')).length, 3);
      assert.ok(lines.some((line) => line.includes('a crash loop')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
