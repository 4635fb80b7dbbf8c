// A command line that cannot be run as given; printed without a stack trace.

/** Bad arguments or settings given to the `crossway` command. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `parse()`'s result; anything it throws (node:util parseArgs on an unknown option, say) becomes a UsageError with `usage` after it. */
export function parseOrUsage<T>(usage: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`);
  }
}
