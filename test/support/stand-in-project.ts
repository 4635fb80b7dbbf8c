// A throwaway copy of the project's start machinery (bin/, the tsconfig files, package.json) around a stand-in CLI, so
// that a test can build, edit and break its dist/ and src/ without touching the repository's, in about a second per
// build instead of the whole source tree's.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './run-crossway.ts';

/** What the stand-in `crossway` printed: `compiled <version>` or `sources <version>`, then anything else. */
export interface StandInRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A project directory with bin/ copied from the repository and a stand-in src/cli/run-cli.ts. */
export interface StandInProject {
  root: string;
  /** Rewrites the stand-in CLI so that it reports `version`. */
  writeCli(version: string): void;
  /** `node bin/crossway.js <args>` in the project; `env` replaces this process's environment. */
  run(args: string[], env?: NodeJS.ProcessEnv): Promise<StandInRun>;
  /** The repository's node_modules (TypeScript included), or none at all (as after `npm ci --omit=dev`). */
  linkNodeModules(linked: boolean): void;
  remove(): void;
}

/**
 * The stand-in says which code runs: bin/crossway.js imports dist/cli/run-cli.js or src/cli/run-cli.ts, and
 * import.meta.url tells them apart. It takes runCli's parameters, so that the start calls it as it calls the real one.
 */
function standInCli(version: string): string {
  return [
    '// The stand-in CLI of a test project (test/support/stand-in-project.ts).',
    `const VERSION = ${JSON.stringify(version)};`,
    'export async function runCli(argv: string[], _output?: unknown, lifecycle: { onStarted?: () => void } = {}): Promise<number> {',
    "  const from: string = import.meta.url.endsWith('.js') ? 'compiled' : 'sources';",
    "  process.stdout.write(from + ' ' + VERSION + ' ' + argv.join(' ') + '\\n');",
    '  lifecycle.onStarted?.();',
    '  return 0;',
    '}',
    '',
  ].join('\n');
}

/** Makes the project in a new temp directory, with node_modules linked and the stand-in CLI at `version`. */
export function createStandInProject(version: string): StandInProject {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crossway-stand-in-'));
  fs.cpSync(path.join(ROOT, 'bin'), path.join(root, 'bin'), { recursive: true });
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) fs.copyFileSync(path.join(ROOT, file), path.join(root, file));
  fs.mkdirSync(path.join(root, 'src', 'cli'), { recursive: true });
  const project: StandInProject = {
    root,
    writeCli(next) {
      fs.writeFileSync(path.join(root, 'src', 'cli', 'run-cli.ts'), standInCli(next));
    },
    run(args, env = { ...process.env }) {
      return new Promise((resolve) => {
        const options = { cwd: root, env, timeout: 60_000 };
        execFile(process.execPath, [path.join(root, 'bin', 'crossway.js'), ...args], options, (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          resolve({ code, stdout, stderr });
        });
      });
    },
    linkNodeModules(linked) {
      const link = path.join(root, 'node_modules');
      fs.rmSync(link, { recursive: true, force: true });
      if (linked) fs.symlinkSync(path.join(ROOT, 'node_modules'), link, 'dir');
    },
    remove() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  project.writeCli(version);
  project.linkNodeModules(true);
  return project;
}
