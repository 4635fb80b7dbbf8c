// A command line that cannot be run as given; printed without a stack trace.

/** Bad arguments or settings given to the `crossway` command. */
export class UsageError extends Error {
  override name = 'UsageError';
}
