// The dashboard at /ui: the files bin/build-ui.js wrote into dist/ui, and index.html for every other /ui path (the
// single-page app routes itself). Only files listed in that directory are answered, looked up by name in a table, so
// no request path ever reaches the file system. Every answer carries a strict Content-Security-Policy (no inline
// script, nothing from another origin) and refuses framing.
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '../wire/index.ts';
import type { BodyResult, Exchange, GatewayContext, HttpResult, RouteEntry } from './gateway-types.ts';

/** dist/ui from src/server/ and from dist/server/ alike: both sit two levels below the repository root. */
export const UI_DIRECTORY = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

/** A built dashboard is a few hundred kilobytes; a file past this, or a directory past the total, is not served. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_TOTAL_BYTES = 16 * 1024 * 1024;
const MAX_FILES = 200;

/** The headers of every answer under /ui. */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

interface Asset {
  body: Buffer;
  type: string;
  /** Hashed names (assets/*) never change content: cached for a year; index.html is revalidated every time. */
  immutable: boolean;
}

/** The files of one build, keyed by their path under dist/ui ('index.html', 'assets/main-HASH.js'). */
interface AssetTable {
  /** index.html's modification time: a new build replaces it, and the table is read again. */
  version: number;
  files: Map<string, Asset>;
}

/** Serves one directory's build; the table is kept in memory (bounded above) and reloaded when index.html changes. */
export class UiAssets {
  readonly #directory: string;
  #table: AssetTable | null = null;
  #loading: Promise<AssetTable | null> | null = null;

  constructor(directory: string = UI_DIRECTORY) {
    this.#directory = directory;
  }

  /** The answer for `rest`, the path below /ui/ ('' for /ui itself). */
  async answer(rest: string): Promise<BodyResult> {
    const table = await this.#current();
    if (table === null) return notBuilt();
    const asset = table.files.get(rest);
    if (asset !== undefined) return assetResult(asset);
    // A path that names a file (it has an extension) and is not in the build is a 404; any other is an app route.
    const last = rest.slice(rest.lastIndexOf('/') + 1);
    if (last.includes('.')) throw new NotFoundError('No such file in the dashboard build.', 'unknown_url');
    const index = table.files.get('index.html');
    return index === undefined ? notBuilt() : assetResult(index);
  }

  async #current(): Promise<AssetTable | null> {
    let version: number;
    try {
      version = (await stat(path.join(this.#directory, 'index.html'))).mtimeMs;
    } catch {
      // No build, or one being swapped in right now (dist/ rebuilt, dist/ui replaced): the last build read, if any,
      // is still whole in memory and serves until the new one is there.
      return this.#table;
    }
    if (this.#table?.version === version) return this.#table;
    // One read at a time: concurrent first requests share it.
    this.#loading ??= readTable(this.#directory, version).finally(() => {
      this.#loading = null;
    });
    // A build replaced while it was read is read again on the next request; the last whole one serves meanwhile.
    this.#table = (await this.#loading) ?? this.#table;
    return this.#table;
  }
}

async function readTable(directory: string, version: number): Promise<AssetTable | null> {
  const files = new Map<string, Asset>();
  let total = 0;
  let entries: Dirent[];
  try {
    entries = await readdir(directory, { recursive: true, withFileTypes: true });
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!entry.isFile() || files.size >= MAX_FILES) continue;
    const relative = path.relative(directory, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    // Dot files (the build's source stamp) are the build's own business.
    if (relative.split('/').some((segment) => segment.startsWith('.'))) continue;
    const type = TYPES[path.extname(relative)];
    if (type === undefined) continue;
    let body: Buffer;
    try {
      body = await readFile(path.join(directory, relative));
    } catch {
      // Replaced by a build meanwhile: the next request reads the new one.
      return null;
    }
    if (body.byteLength > MAX_FILE_BYTES || total + body.byteLength > MAX_TOTAL_BYTES) continue;
    total += body.byteLength;
    files.set(relative, { body, type, immutable: relative.startsWith('assets/') });
  }
  return files.has('index.html') ? { version, files } : null;
}

function assetResult(asset: Asset): BodyResult {
  return {
    status: 200,
    headers: {
      ...UI_SECURITY_HEADERS,
      'content-type': asset.type,
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    },
    body: asset.body,
  };
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Crossway dashboard not built</title></head>
<body><main><h1>The dashboard is not built</h1>
<p>This gateway has no <code>dist/ui/</code>. Build it with <code>npm run build</code> (or <code>npm ci</code>, which runs the build), then reload.</p>
<p>The admin API under <code>/admin/</code> works without it.</p></main></body></html>
`;

function notBuilt(): BodyResult {
  return { status: 503, headers: { ...UI_SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body: NOT_BUILT_PAGE };
}

/** The path below /ui/ of a request to /ui, /ui/ or /ui/<rest>; the sign-in API's paths are never the app's. */
function restOf(exchange: Exchange): string {
  const rest = exchange.params.rest ?? '';
  if (rest === 'api' || rest.startsWith('api/') || rest === 'auth' || rest.startsWith('auth/')) {
    throw new NotFoundError(`Invalid URL (${exchange.req.method} /ui/${rest.slice(0, 100)})`, 'unknown_url');
  }
  return rest;
}

/** The routes serving the dashboard: GET and HEAD of /ui, /ui/ and everything below (after every other /ui/ route). */
export function createUiRoutes(assets: UiAssets = new UiAssets()): RouteEntry[] {
  const handler = async (_gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> => assets.answer(restOf(exchange));
  return (['GET', 'HEAD'] as const).flatMap((method) => [
    { method, path: '/ui', auth: false, handler },
    { method, path: '/ui/', auth: false, handler },
    { method, path: '/ui/', prefix: true, auth: false, handler },
  ]);
}
