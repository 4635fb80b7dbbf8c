// A session's spend and its `spend_control`: what its model steps were charged (the usage events' `charged`, what the
// tenant pays), kept exactly in micro-USD in the session's private state, and the limit the client set in USD cents.
// The limit is checked before each step and after a step that called tools, so a turn stops at the first step past it.

/** The private state key of the session's spend: micro-USD as a decimal string (exact, never a float). */
const SPENT_KEY = 'crossway_spent_micro_usd';
/** Micro-units per USD cent. */
const MICRO_PER_CENT = 10_000n;

/** The session's `spend_control` as the types declare it: the limit in USD cents, and what was consumed, floored to cents. */
export interface SpendControl {
  limit: number;
  consumed: number | null;
}

/** What the session's steps were charged so far, in micro-USD. */
export function readSpent(state: Record<string, unknown>): bigint {
  const text = state[SPENT_KEY];
  return typeof text === 'string' && /^\d+$/.test(text) ? BigInt(text) : 0n;
}

/** The state with `micros` more spent (and `spend_control.consumed` following). */
export function addSpend(state: Record<string, unknown>, micros: bigint): Record<string, unknown> {
  const spent = readSpent(state) + micros;
  const control = state.spend_control as SpendControl | undefined;
  return {
    ...state,
    [SPENT_KEY]: spent.toString(),
    ...(control === undefined ? {} : { spend_control: { limit: control.limit, consumed: Number(spent / MICRO_PER_CENT) } }),
  };
}

/** The state with a new limit (consumed from what was spent so far), or without one (the spend is kept, as the types say). */
export function withSpendLimit(state: Record<string, unknown>, limit: number | null): Record<string, unknown> {
  const { spend_control: _old, ...rest } = state;
  if (limit === null) return rest;
  return { ...rest, spend_control: { limit, consumed: Number(readSpent(state) / MICRO_PER_CENT) } };
}

/** The reason a step may not run: the session's spend reached its limit; null when it may (or there is no limit). */
export function checkSpendLimit(state: Record<string, unknown>): { code: string; message: string } | null {
  const control = state.spend_control as SpendControl | undefined;
  if (control === undefined) return null;
  const spent = readSpent(state);
  if (spent < BigInt(control.limit) * MICRO_PER_CENT) return null;
  return {
    code: 'session_budget_exceeded',
    message:
      `The session reached its spend limit of ${control.limit} USD cents (spent ${Number(spent / MICRO_PER_CENT)}): ` +
      'raise spend_control.limit or remove it to go on.',
  };
}
