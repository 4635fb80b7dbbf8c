// The machine a run measured, for the report: CPU model and count, memory, OS and Node version.
import { cpus, release, totalmem, type, arch } from 'node:os';

/** One Markdown-ready line per fact. */
export function describeMachine(): string[] {
  const cores = cpus();
  const models = [...new Set(cores.map((core) => core.model.trim()))].join(', ');
  const speeds = [...new Set(cores.map((core) => core.speed))].filter((speed) => speed > 0);
  return [
    `CPU: ${cores.length} × ${models}${speeds.length > 0 ? ` (${speeds.join('/')} MHz)` : ''} (\`os.cpus()\`)`,
    `Memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `OS: ${type()} ${release()} ${arch()}`,
    `Node: ${process.version} (V8 ${process.versions.v8}), the same binary for every Node target`,
  ];
}
