// The build of the dashboard (ui/) into dist/ui/ with esbuild: one hashed JS bundle and one hashed CSS file under
// dist/ui/assets/, and dist/ui/index.html naming them. Run by `npm run build` and `prepare` (through build-dist.js) and
// by bin/crossway.js at start when ui/ changed since (its freshness stamp, as build-dist's). Plain JavaScript: the start
// decides before anything TypeScript is loaded.
// `node bin/build-ui.js [--if-possible]`: builds; with --if-possible a missing esbuild (`npm ci --omit=dev`) or a missing
// ui/ (the container image ships dist/ui without its sources) is not an error.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root: bin/ sits in it. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** dist/ui's record of the sources it was built from; never served (the server serves no dot files). */
const STAMP_FILE = '.source-stamp.json';
/** The hashed bundles' folder under dist/ui: served with an immutable cache lifetime. */
const ASSETS = 'assets';

/**
 * A fingerprint of ui/ (every file, by path, size and modification time) and of the installed Preact and uPlot
 * versions: an edit, an added or removed file or an upgrade makes dist/ui stale. A few stats, no reading.
 */
export function readUiStamp(root = ROOT) {
  const lines = [];
  const add = (relative) => {
    const stats = fs.statSync(path.join(root, relative));
    lines.push(`${relative}\t${stats.size}\t${stats.mtimeMs}`);
  };
  for (const entry of fs.readdirSync(path.join(root, 'ui'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) add(path.relative(root, path.join(entry.parentPath, entry.name)));
  }
  for (const manifest of ['node_modules/preact/package.json', 'node_modules/uplot/package.json']) {
    if (fs.existsSync(path.join(root, manifest))) add(manifest);
  }
  lines.sort();
  return { files: lines.length, sha256: createHash('sha256').update(lines.join('\n')).digest('hex') };
}

/** Whether dist/ui holds the build of ui/ as it is now; true as well when there is no ui/ to build from (an image). */
export function isUiFresh(root = ROOT) {
  if (!fs.existsSync(path.join(root, 'ui'))) return fs.existsSync(path.join(root, 'dist', 'ui', 'index.html'));
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(path.join(root, 'dist', 'ui', STAMP_FILE), 'utf8'));
  } catch {
    return false;
  }
  const now = readUiStamp(root);
  return stamp?.sha256 === now.sha256 && stamp?.files === now.files;
}

/** esbuild's API, or null when it is not installed (dev dependencies omitted). */
async function loadEsbuild(root) {
  if (!fs.existsSync(path.join(root, 'node_modules', 'esbuild', 'package.json'))) return null;
  return import(pathToFileURL(path.join(root, 'node_modules', 'esbuild', 'lib', 'main.js')).href);
}

/**
 * Builds ui/ into dist/ui: into a directory of its own first, then swapped in, so that a server never reads half a
 * build. Resolves to 'built', 'no-esbuild' or 'no-sources'; rejects when esbuild fails.
 */
export async function buildUi(root = ROOT) {
  if (!fs.existsSync(path.join(root, 'ui', 'src', 'main.tsx'))) return 'no-sources';
  const esbuild = await loadEsbuild(root);
  if (esbuild === null) return 'no-esbuild';
  const stamp = readUiStamp(root);
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  const out = fs.mkdtempSync(path.join(root, 'dist', 'ui.building-'));
  // mkdtemp makes it private (0700): the gateway may run as another user (the container's).
  fs.chmodSync(out, 0o755);
  try {
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: ['ui/src/main.tsx'],
      bundle: true,
      outdir: out,
      entryNames: `${ASSETS}/[name]-[hash]`,
      assetNames: `${ASSETS}/[name]-[hash]`,
      format: 'esm',
      target: 'es2022',
      minify: true,
      jsx: 'automatic',
      jsxImportSource: 'preact',
      tsconfig: 'ui/tsconfig.json',
      metafile: true,
      legalComments: 'none',
      logLevel: 'silent',
    });
    const outputs = Object.entries(result.metafile.outputs);
    const script = outputs.find(([, output]) => output.entryPoint === 'ui/src/main.tsx');
    if (script === undefined) throw new Error('esbuild produced no bundle for ui/src/main.tsx');
    const styles = script[1].cssBundle;
    const href = (file) => `/ui/${path.relative(out, path.resolve(root, file)).split(path.sep).join('/')}`;
    const template = fs.readFileSync(path.join(root, 'ui', 'index.html'), 'utf8');
    const html = template
      .replace('<!-- styles -->', styles === undefined ? '' : `<link rel="stylesheet" href="${href(styles)}">`)
      .replace('<!-- script -->', `<script type="module" src="${href(script[0])}"></script>`);
    fs.writeFileSync(path.join(out, 'index.html'), html);
    fs.writeFileSync(path.join(out, STAMP_FILE), `${JSON.stringify(stamp)}\n`);
    const target = path.join(root, 'dist', 'ui');
    // Between these two steps dist/ui is missing: a request then gets the "not built" page, for a moment.
    fs.rmSync(target, { recursive: true, force: true });
    try {
      fs.renameSync(out, target);
    } catch (error) {
      // Another start built the same sources at the same time and swapped its build in first (or a dist/ rebuild
      // took the directory away): theirs serves as well as ours would.
      if (!['ENOTEMPTY', 'EEXIST', 'ENOENT', 'EPERM'].includes(error.code)) throw error;
    }
    return 'built';
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const ifPossible = process.argv.includes('--if-possible');
  const outcome = await buildUi();
  if (outcome === 'built') process.stdout.write('crossway: built ui/ into dist/ui/\n');
  else if (ifPossible)
    process.stdout.write(`crossway: the dashboard was not built (${outcome === 'no-esbuild' ? 'esbuild is not installed' : 'no ui/ sources'})\n`);
  else {
    process.stderr.write(
      `crossway: cannot build the dashboard: ${outcome === 'no-esbuild' ? 'esbuild is not installed (run npm ci with dev dependencies)' : 'ui/ is missing'}\n`,
    );
    process.exitCode = 1;
  }
}
