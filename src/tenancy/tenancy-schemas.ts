// What the admin API accepts for tenants and keys (strict: an unknown field is an error, not silently dropped), and
// the CLI's budget shorthand. Values come out normalised, ready for the store records.
import { z } from 'zod';
import { constraintsSchema } from '../catalog/index.ts';
import { formatMoney, parseMoney } from '../metering/index.ts';
import type { BudgetSpec } from '../store/index.ts';
import { InvalidRequestError } from '../wire/index.ts';

/** Tenant ids: letters, digits, `.`, `_`, `-`, 1 to 64 characters (they appear in URLs, logs and counter keys). */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** At most this many metadata pairs per tenant or key (Stripe's and OpenAI's bound is 16 as well). */
export const MAX_METADATA_PAIRS = 16;

const decimalPattern = /^\d+(?:\.\d+)?$/;
const moneyPattern = /^\d+(?:\.\d{1,6})?$/;

const tenantId = z.string().regex(TENANT_ID_PATTERN, 'must be 1 to 64 letters, digits, ".", "_" or "-"');

// Names are stored as text, and PostgreSQL refuses a NUL in text: control characters are refused here instead.
const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'must hold no control characters');

/** A per-minute limit: a positive whole number, or null for none. */
const perMinuteLimit = z
  .number({ error: 'must be a positive integer or null' })
  .int('must be a positive integer or null')
  .positive('must be a positive integer or null')
  // Stored in a 32-bit integer column (PostgreSQL refuses more); 2^31 - 1 a minute is no limit in practice.
  .max(2_147_483_647, 'must be at most 2147483647')
  .nullable();

/** A non-negative decimal given as a string or a JSON number, kept as its decimal string. */
const margin = z
  .union([z.string(), z.number()], { error: 'must be a non-negative decimal, e.g. "0.25" for +25 %' })
  .transform((value) => (typeof value === 'number' ? String(value) : value))
  .refine((text) => decimalPattern.test(text), 'must be a non-negative decimal, e.g. "0.25" for +25 %')
  .nullable();

/** A budget amount: `"25.00"` or `25`, at most 6 decimals, normalised to `"25.000000"`. */
const budgetLimit = z
  .union([z.string(), z.number()], { error: 'must be a non-negative amount such as "25.00"' })
  .transform((value) => (typeof value === 'number' ? String(value) : value))
  .refine((text) => moneyPattern.test(text), 'must be a non-negative amount with at most 6 decimals, such as "25.00"')
  .transform((text) => formatMoney(parseMoney(text)));

/** `{limit, currency = USD, period = month}`; null removes the budget. */
export const budgetSchema = z.strictObject({
  limit: budgetLimit,
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'must be an ISO 4217 code such as "USD"')
    .transform((code) => code.toUpperCase())
    .default('USD'),
  period: z.enum(['day', 'month', 'total'], { error: 'must be "day", "month" or "total"' }).default('month'),
});

const metadata = z
  .record(
    z.string().min(1).max(64, 'keys must be at most 64 characters'),
    z.string({ error: 'values must be strings' }).max(512, 'values must be at most 512 characters'),
  )
  .refine((pairs) => Object.keys(pairs).length <= MAX_METADATA_PAIRS, `must have at most ${MAX_METADATA_PAIRS} pairs`);

const models = z
  .array(z.string().min(1, 'model ids must not be empty'), { error: 'must be a list of model ids or null' })
  .min(1, 'must list at least one model, or be null for every model')
  .nullable();

/** An ISO 8601 instant with a time zone, normalised to UTC (`toISOString`); whether it is future is the service's check. */
const expiresAt = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone, e.g. "2027-01-01T00:00:00Z"' })
  .transform((text) => new Date(text).toISOString())
  .nullable();

const tenantFields = {
  name,
  policy: constraintsSchema,
  margin,
  rpm: perMinuteLimit,
  tpm: perMinuteLimit,
  budget: budgetSchema.nullable(),
  metadata,
};

/** `POST /admin/tenants`. */
export const createTenantRequestSchema = z.strictObject({
  id: tenantId,
  name: tenantFields.name.optional(),
  policy: tenantFields.policy.default({}),
  margin: tenantFields.margin.default(null),
  rpm: tenantFields.rpm.default(null),
  tpm: tenantFields.tpm.default(null),
  budget: tenantFields.budget.default(null),
  metadata: tenantFields.metadata.default({}),
});
export type CreateTenantInput = z.output<typeof createTenantRequestSchema>;

/** `PATCH /admin/tenants/{id}`: absent fields stay as they are; null clears a limit, budget or margin. */
export const patchTenantRequestSchema = z.strictObject({
  name: tenantFields.name.optional(),
  policy: tenantFields.policy.optional(),
  margin: tenantFields.margin.optional(),
  rpm: tenantFields.rpm.optional(),
  tpm: tenantFields.tpm.optional(),
  budget: tenantFields.budget.optional(),
  metadata: tenantFields.metadata.optional(),
});
export type PatchTenantInput = z.output<typeof patchTenantRequestSchema>;

/** `POST /admin/keys`: only the tenant is required. */
export const createKeyRequestSchema = z.strictObject({
  tenant: tenantId,
  name: name.nullable().default(null),
  models: models.default(null),
  rpm: perMinuteLimit.default(null),
  tpm: perMinuteLimit.default(null),
  budget: budgetSchema.nullable().default(null),
  expires_at: expiresAt.default(null),
  admin: z.boolean({ error: 'must be true or false' }).default(false),
  metadata: metadata.default({}),
});
export type CreateKeyInput = z.output<typeof createKeyRequestSchema>;

/** `PATCH /admin/keys/{id}`: absent fields stay as they are; a key never moves to another tenant. */
export const patchKeyRequestSchema = z.strictObject({
  name: name.nullable().optional(),
  models: models.optional(),
  rpm: perMinuteLimit.optional(),
  tpm: perMinuteLimit.optional(),
  budget: budgetSchema.nullable().optional(),
  expires_at: expiresAt.optional(),
  admin: z.boolean({ error: 'must be true or false' }).optional(),
  metadata: metadata.optional(),
});
export type PatchKeyInput = z.output<typeof patchKeyRequestSchema>;

const shorthandPattern = /^(\d+(?:\.\d{1,6})?)(?:\s*([A-Za-z]{3}))?(?:\/(day|month|total))?$/;

/**
 * The CLI's budget shorthand: `25` (USD per month), `25.50/day`, `100/total`, optionally with a currency after the
 * amount (`20EUR/month`). Throws InvalidRequestError on anything else.
 */
export function parseBudgetShorthand(text: string): BudgetSpec {
  const match = shorthandPattern.exec(text.trim());
  if (match === null) {
    throw new InvalidRequestError(
      `Invalid budget ${JSON.stringify(text)}: expected an amount with at most 6 decimals and an optional period, e.g. "25/month", "25.50/day", "100/total".`,
      'budget',
    );
  }
  const [, amount = '0', currency = 'USD', period = 'month'] = match;
  return { limit: formatMoney(parseMoney(amount)), currency: currency.toUpperCase(), period: period as BudgetSpec['period'] };
}
