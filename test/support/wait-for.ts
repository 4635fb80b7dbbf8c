// Waiting in tests on the condition itself, never for a fixed time: a loaded CI machine may take many times longer
// than a quiet one, so a deadline is there only to end a broken run, with a message that says what never happened.
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a test waits for something that must happen: 30 s, which only a broken run reaches. */
export const WAIT_MS = 30_000;

/**
 * Resolves with the first value of `read` that is neither undefined, null nor false, reading it again every
 * `intervalMs` (20 ms by default); rejects after `timeoutMs` (WAIT_MS by default) with "timed out waiting for <what>"
 * and the last value read.
 */
export async function waitFor<T>(
  what: string,
  read: () => T | Promise<T>,
  { timeoutMs = WAIT_MS, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last read: ${String(value)})`);
    await sleep(intervalMs);
  }
}
