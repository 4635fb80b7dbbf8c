// The build of src/ into dist/ (`npm run build`, run by `npm ci` through `prepare`; the dashboard's too, see build-ui.js) and the check bin/crossway.js makes
// at every start of whether dist/ is still the build of the sources as they are. Plain JavaScript: the start must
// decide before anything TypeScript is loaded.
// `node bin/build-dist.js [--if-possible]`: builds; with --if-possible, a missing TypeScript (`npm ci --omit=dev`) is
// not an error (the command then runs the sources), so that an install without dev dependencies still succeeds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildUi, isUiFresh } from './build-ui.js';

/** The repository root: bin/ sits in it. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** dist/'s record of the sources it was built from (see readSourceStamp). */
const STAMP_FILE = '.source-stamp.json';
/** The build's own directory while it runs; its existence is the lock that keeps two builds from racing. */
const BUILDING_DIR = 'dist.building';
/**
 * A lock older than this belongs to a build that died (tsc without type checking takes seconds here); the next start
 * takes it over. Until then other starts run the sources instead of waiting.
 */
const STALE_LOCK_MS = 120_000;
/** Longest a build may take before it is abandoned (and the sources run). */
const BUILD_TIMEOUT_MS = 120_000;
/** What besides src/ decides what tsc emits. */
const BUILD_INPUTS = ['tsconfig.json', 'tsconfig.build.json'];

/**
 * A fingerprint of the sources the build compiles: every non-test `.ts` file under src/ (the build's include and
 * exclude) and the tsconfig files, by path, size and modification time. An edit changes a time (or a size), an added,
 * removed or renamed file changes the list; reading it costs one stat per file (a few milliseconds for src/'s
 * ~250 files), not reading or hashing their contents.
 */
export function readSourceStamp(root = ROOT) {
  const lines = [];
  const add = (relative) => {
    const stats = fs.statSync(path.join(root, relative));
    lines.push(`${relative}\t${stats.size}\t${stats.mtimeMs}`);
  };
  for (const entry of fs.readdirSync(path.join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !isBuiltSource(entry.name)) continue;
    const relative = path.relative(root, path.join(entry.parentPath, entry.name));
    if (relative.split(path.sep).includes('__fixtures__')) continue;
    add(relative);
  }
  for (const file of BUILD_INPUTS) add(file);
  lines.sort();
  return { files: lines.length, sha256: createHash('sha256').update(lines.join('\n')).digest('hex') };
}

function isBuiltSource(name) {
  return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts');
}

/** Whether dist/ holds the build of the sources as they are now (its stamp matches readSourceStamp). */
export function isDistFresh(root = ROOT) {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(path.join(root, 'dist', STAMP_FILE), 'utf8'));
  } catch {
    // No dist/, or a build that never finished: its stamp is written last.
    return false;
  }
  const now = readSourceStamp(root);
  return stamp?.sha256 === now.sha256 && stamp?.files === now.files;
}

/** tsc's entry in node_modules, or null when TypeScript is not installed (`npm ci --omit=dev`). */
function findTsc(root) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  return fs.existsSync(tsc) ? tsc : null;
}

/**
 * Builds src/ into dist/: tsc into a directory of its own, the stamp of the sources as they were before tsc read them
 * (an edit made during the build then makes the result stale, not wrongly fresh), then that directory becomes dist/.
 * Resolves to 'built', 'no-typescript' or 'busy' (another build holds the lock); throws when tsc fails.
 *
 * Type checking is `npm test`'s job (tsc --noEmit): the build only emits (`--noCheck`), which takes seconds instead
 * of tens of seconds, and code with a type error runs compiled just as the sources run under type stripping.
 */
export function buildDist(root = ROOT) {
  const tsc = findTsc(root);
  if (tsc === null) return 'no-typescript';
  const building = path.join(root, BUILDING_DIR);
  if (!takeLock(building)) return 'busy';
  try {
    const out = path.join(building, 'dist');
    const stamp = readSourceStamp(root);
    const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noCheck', '--outDir', out], {
      cwd: root,
      encoding: 'utf8',
      timeout: BUILD_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (result.status !== 0) {
      const detail = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().slice(0, 4000) || String(result.error ?? result.signal);
      throw new Error(`tsc -p tsconfig.build.json failed (exit ${result.status}):\n${detail}`);
    }
    fs.writeFileSync(path.join(out, STAMP_FILE), `${JSON.stringify(stamp)}\n`);
    // The dashboard's build (bin/build-ui.js) lives in dist/ui and has its own stamp: it moves into the new dist/.
    const ui = path.join(root, 'dist', 'ui');
    if (fs.existsSync(ui)) fs.renameSync(ui, path.join(out, 'ui'));
    // Between these two steps dist/ is missing: a start then finds it stale, finds the lock taken and runs the sources.
    fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
    fs.renameSync(out, path.join(root, 'dist'));
    return 'built';
  } finally {
    fs.rmSync(building, { recursive: true, force: true });
  }
}

/** mkdir is atomic: whoever creates the directory holds the lock. A lock left by a dead build is taken over. */
function takeLock(directory) {
  try {
    fs.mkdirSync(directory);
    return true;
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
  }
  let age;
  try {
    age = Date.now() - fs.statSync(directory).mtimeMs;
  } catch {
    // Released meanwhile: the build that held it has just finished.
    return false;
  }
  if (age < STALE_LOCK_MS) return false;
  fs.rmSync(directory, { recursive: true, force: true });
  try {
    fs.mkdirSync(directory);
    return true;
  } catch {
    return false;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const ifPossible = process.argv.includes('--if-possible');
  // `prepare` (--if-possible) leaves a fresh build alone: npm runs it again on installs of the checkout (`npx crossway`
  // does), and replacing dist/ would pull it from under a gateway or a command running from it.
  const outcome = ifPossible && isDistFresh() ? 'fresh' : buildDist();
  if (outcome === 'built') process.stdout.write('crossway: built src/ into dist/\n');
  else if (outcome === 'fresh') process.stdout.write('crossway: dist/ is the build of the sources as they are\n');
  else if (outcome === 'busy') {
    process.stderr.write(`crossway: another build is running (${BUILDING_DIR}/ exists); remove it if no build is running\n`);
    process.exitCode = 1;
  } else if (ifPossible) process.stdout.write('crossway: TypeScript is not installed, so there is no dist/ build: `crossway` runs the sources\n');
  else {
    process.stderr.write('crossway: TypeScript is not installed (node_modules/typescript): run npm ci with dev dependencies to build\n');
    process.exitCode = 1;
  }
  // The dashboard too (ui/ into dist/ui); without esbuild (dev dependencies omitted) the gateway says it is not built.
  const ui = ifPossible && isUiFresh() ? 'fresh' : await buildUi();
  if (ui === 'built') process.stdout.write('crossway: built ui/ into dist/ui/\n');
  else if (ui === 'no-esbuild') process.stdout.write('crossway: esbuild is not installed, so the dashboard (ui/) is not built\n');
}
