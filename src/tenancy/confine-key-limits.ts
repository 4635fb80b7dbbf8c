// Key confinement: a virtual key (admin or not) may only create or change keys within its own limits, so that an
// admin key limited to one model, a budget, a rate and an expiry can never mint or widen a key past them.
import { parseMoney } from '../metering/index.ts';
import type { ApiKeyRecord } from '../store/index.ts';
import { PermissionDeniedError } from '../wire/index.ts';

/** The limits of a key that confinement compares. */
export type KeyLimits = Pick<ApiKeyRecord, 'models' | 'rpm' | 'tpm' | 'budget' | 'expires_at'>;

/**
 * The limits a key created or changed by `actor` gets: a limit left out (null) is the actor's own, so that "no limit"
 * never means more than the actor has. Throws 403 `key_limit_exceeded` naming the field when a limit asked for is
 * wider than the actor's: models not a subset of its own, a higher rpm or tpm, a budget in another currency or
 * period or with a higher limit, or a later expiry.
 */
export function confineKeyLimits(actor: KeyLimits, wanted: KeyLimits): KeyLimits {
  const confined: KeyLimits = {
    models: wanted.models ?? actor.models,
    rpm: wanted.rpm ?? actor.rpm,
    tpm: wanted.tpm ?? actor.tpm,
    budget: wanted.budget ?? actor.budget,
    expires_at: wanted.expires_at ?? actor.expires_at,
  };
  const wider = findWiderLimit(actor, confined);
  if (wider !== null)
    throw new PermissionDeniedError(`This API key may only create or change keys within its own limits: ${wider.reason}.`, 'key_limit_exceeded', wider.field);
  return confined;
}

/** Throws 403 `key_limit_exceeded` when `key` has any limit wider than `actor`'s (it may then not be touched). */
export function checkKeyWithinLimits(actor: KeyLimits, key: KeyLimits & Pick<ApiKeyRecord, 'id'>): void {
  const wider = findWiderLimit(actor, key);
  if (wider !== null)
    throw new PermissionDeniedError(
      `This API key may not change key '${key.id}', which is wider than itself: ${wider.reason}.`,
      'key_limit_exceeded',
      wider.field,
    );
}

/** The first limit of `key` wider than `actor`'s, with the reason; null when `key` is within `actor` everywhere. */
export function findWiderLimit(actor: KeyLimits, key: KeyLimits): { field: keyof KeyLimits; reason: string } | null {
  if (actor.models !== null) {
    if (key.models === null) return { field: 'models', reason: `models must be among ${actor.models.join(', ')} (not every model)` };
    const outside = key.models.find((model) => !actor.models!.includes(model));
    if (outside !== undefined) return { field: 'models', reason: `models must be among ${actor.models.join(', ')} (not ${excerpt(outside)})` };
  }
  for (const field of ['rpm', 'tpm'] as const) {
    const own = actor[field];
    const asked = key[field];
    if (own !== null && (asked === null || asked > own)) return { field, reason: `${field} must be at most ${own}` };
  }
  if (actor.budget !== null) {
    const own = actor.budget;
    const asked = key.budget;
    // Budgets compare only in the same currency and period: $5 a day is not less than $5 in total.
    if (asked === null || asked.currency !== own.currency || asked.period !== own.period || parseMoney(asked.limit) > parseMoney(own.limit)) {
      return { field: 'budget', reason: `budget must be in ${own.currency} per ${own.period} and at most ${own.limit}` };
    }
  }
  if (actor.expires_at !== null && (key.expires_at === null || Date.parse(key.expires_at) > Date.parse(actor.expires_at))) {
    return { field: 'expires_at', reason: `expires_at must be no later than ${actor.expires_at}` };
  }
  return null;
}

/** At most 64 characters of a client-supplied value in a message. */
function excerpt(text: string): string {
  return text.length <= 64 ? text : `${text.slice(0, 61)}...`;
}
