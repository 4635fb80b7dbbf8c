// The sign-in sections of crossway.yaml: dashboard sessions (`ui`), OpenID Connect single sign-on (`auth.oidc`) and the
// audit log's retention (`audit`). Kept apart from catalog-schema.ts, which only names them.
import { z } from 'zod';
import { Secret } from './secret.ts';

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `"12h"` -> 43200, `"30m"` -> 1800, `90` -> 90 (seconds). */
export function parseDurationSeconds(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/i.exec(text.trim());
  if (match === null) throw new Error(`not a duration: ${text}`);
  return Number(match[1]) * (DURATION_UNITS[(match[2] ?? '').toLowerCase() || 's'] ?? 1);
}

/** Seconds, or a duration like `"30m"`, `"12h"`, `"7d"`; from one minute to 90 days. */
const durationSeconds = z
  .union([
    z.number().int(),
    z
      .string()
      .regex(/^\d+\s*[smhd]?$/i, 'use seconds or a duration like "12h"')
      .transform(parseDurationSeconds),
  ])
  .pipe(
    z
      .number()
      .int()
      .min(60)
      .max(90 * 86_400),
  );

/** Dashboard sessions: how long they live, the cookie's Secure flag, and how many one user may hold. */
export const uiConfigSchema = z
  .strictObject({
    /** Absolute lifetime of a session, whatever its activity. */
    session_ttl: durationSeconds.default(12 * 3600),
    /** A session unused this long ends. */
    session_idle_ttl: durationSeconds.default(3600),
    /**
     * The cookie's Secure flag. Unset: Secure, except on plain http to a loopback host (a local `npm start`). Set it to
     * false only behind a proxy that terminates TLS and forwards plain http from a non-loopback address.
     */
    cookie_secure: z.boolean().optional(),
    /** Most sessions one user (one key, or one OIDC subject) holds; the oldest end first. */
    max_sessions_per_user: z.number().int().min(1).max(100).default(10),
    /** Sign-in attempts (key or OIDC) allowed per client address per minute. */
    sign_in_rate_per_minute: z.number().int().min(1).max(10_000).default(10),
  })
  .prefault({});
export type UiConfig = z.infer<typeof uiConfigSchema>;

const claimValues = z.array(z.string().min(1).max(256)).min(1).max(100);

/** OpenID Connect single sign-on for the dashboard (authorization code flow with PKCE). */
export const oidcConfigSchema = z.strictObject({
  /** The issuer URL; its `/.well-known/openid-configuration` is read (and cached) at the first sign-in. */
  issuer: z.url(),
  client_id: z.string().min(1).max(512),
  /** Write it as `${ENV_VARIABLE}`; a public client (PKCE only) leaves it out. */
  client_secret: z
    .string()
    .min(1)
    .transform((value) => new Secret(value))
    .optional(),
  /** Where the IdP sends the browser back; defaults to `<the request's origin>/ui/auth/oidc/callback`. */
  redirect_uri: z.url().optional(),
  scopes: z.array(z.string().min(1).max(128)).max(32).default(['openid', 'email', 'profile']),
  /** The button's label in the dashboard. */
  name: z.string().min(1).max(64).default('Single sign-on'),
  /** The ID token claim (or userinfo field) holding the role; a string or an array of strings. */
  role_claim: z.string().min(1).max(128).default('crossway_role'),
  /** The claim holding the tenant id of a `tenant_admin` or a viewer of one tenant. */
  tenant_claim: z.string().min(1).max(128).default('crossway_tenant'),
  /** Claim values meaning each role (the role's own name always counts). */
  admin_values: claimValues.default(['admin']),
  tenant_admin_values: claimValues.default(['tenant_admin']),
  viewer_values: claimValues.default(['viewer']),
  /** When set, only users whose `email` (verified) is in one of these domains may sign in. */
  allowed_domains: z.array(z.string().min(1).max(253)).max(100).optional(),
  /** Bound on each call to the IdP (discovery, token, keys). */
  timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
  /** Allow an http:// issuer that is not on a loopback address (tests and labs only). */
  allow_insecure_issuer: z.boolean().default(false),
});
export type OidcConfig = z.infer<typeof oidcConfigSchema>;

export const authConfigSchema = z.strictObject({ oidc: oidcConfigSchema.optional() }).prefault({});

/** The audit log of admin actions. */
export const auditConfigSchema = z
  .strictObject({
    /** Entries older than this many days are pruned by the gateway's housekeeping. */
    retention_days: z.number().positive().default(365),
  })
  .prefault({});
