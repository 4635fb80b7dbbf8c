// Keeps every TypeScript source line within Biome's 160 columns: the formatter wraps code, but not long string literals or
// comments, so a line it cannot wrap would otherwise pass `biome check` and grow again (issue 14, item 7).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Biome's `lineWidth` in biome.json. */
const MAX_LINE_LENGTH = 160;
/** The folders whose .ts (and the dashboard's .tsx) files are checked; `__fixtures__` folders hold recorded traffic, kept byte for byte. */
const CHECKED_FOLDERS = ['src', 'test', 'bench', 'scripts', 'ui'];
/** At most this many offending lines are named in the failure message. */
const MAX_REPORTED = 30;

const root = fileURLToPath(new URL('..', import.meta.url));

function listTypeScriptFiles(folder: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '__fixtures__' && entry.name !== 'node_modules') files.push(...listTypeScriptFiles(path));
    } else if (entry.isFile() && (entry.name.endsWith('.ts') || entry.name.endsWith('.tsx'))) {
      files.push(path);
    }
  }
  return files;
}

describe('source line length', () => {
  it(`keeps every line of the .ts files under ${CHECKED_FOLDERS.join(', ')} within ${MAX_LINE_LENGTH} characters`, () => {
    const files = CHECKED_FOLDERS.flatMap((folder) => listTypeScriptFiles(join(root, folder)));
    assert.ok(files.length > 100, `found only ${files.length} .ts files under ${root}`);
    const long: string[] = [];
    for (const file of files) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          // Characters as Biome and editors count them (code points), not UTF-16 units.
          const length = [...line].length;
          if (length > MAX_LINE_LENGTH) long.push(`${relative(root, file)}:${index + 1} (${length} characters)`);
        });
    }
    assert.equal(
      long.length,
      0,
      `${long.length} lines are longer than ${MAX_LINE_LENGTH} characters; wrap their strings (split with +) or comments:\n` +
        long.slice(0, MAX_REPORTED).join('\n'),
    );
  });
});
