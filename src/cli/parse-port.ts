// Reads a TCP port from a flag or environment variable.
import { UsageError } from './usage-error.ts';

/** A port number 0-65535, or undefined when not given. */
export function parsePort(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${name} must be a port number, got '${value}'.`);
  return port;
}
