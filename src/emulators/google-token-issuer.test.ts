// The Google OAuth token endpoint: JWT-bearer assertions signed here with node:crypto, checked claim by claim, the
// tokens issued and their expiry; over HTTP on the Vertex emulator's port, and directly with an injected clock.
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createEmulatorServiceAccount } from './google-service-account.ts';
import { GOOGLE_JWT_BEARER_GRANT, GOOGLE_OAUTH_TOKEN_URL, GoogleTokenIssuer } from './google-token-issuer.ts';
import { VertexEmulator } from './vertex-emulator.ts';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const account = createEmulatorServiceAccount('http://127.0.0.1:1/token');
const stranger = createEmulatorServiceAccount('http://127.0.0.1:1/token', { accountName: 'stranger' });
const email = account.credentials.client_email;

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact RS256 JWS signed with `privateKey`. */
function signJwt(
  claims: Record<string, unknown>,
  privateKey = account.credentials.private_key,
  header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' },
): string {
  const signed = `${encode(header)}.${encode(claims)}`;
  return `${signed}.${sign('sha256', Buffer.from(signed), privateKey).toString('base64url')}`;
}

function claims(nowSeconds: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: email, scope: CLOUD_PLATFORM, aud: GOOGLE_OAUTH_TOKEN_URL, iat: nowSeconds, exp: nowSeconds + 3600, ...overrides };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields);
const grant = (assertion: string) => form({ grant_type: GOOGLE_JWT_BEARER_GRANT, assertion });

describe('GoogleTokenIssuer', () => {
  const now = 1_800_000_000_000;
  const seconds = now / 1000;
  const issuer = new GoogleTokenIssuer({ accounts: [{ clientEmail: email, publicKeyPem: account.publicKeyPem }], lifetimeSeconds: 600, now: () => now });

  it('issues a token for a valid assertion and remembers it with its scopes and expiry', () => {
    const reply = issuer.exchange(grant(signJwt(claims(seconds))), []);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.token_type, 'Bearer');
    assert.equal(reply.body.expires_in, 600);
    assert.match(String(reply.body.access_token), /^ya29\.c\.[\w-]+$/);
    const checked = issuer.check(String(reply.body.access_token));
    assert.ok(checked.ok);
    assert.deepEqual(checked.token, { scopes: [CLOUD_PLATFORM], expiresAt: now + 600_000, clientEmail: email });
    assert.deepEqual(issuer.check('ya29.other'), { ok: false, reason: 'unknown' });
  });

  it("accepts the emulator's own token URL as audience too", () => {
    const ownUrl = 'http://127.0.0.1:4013/token';
    assert.equal(issuer.exchange(grant(signJwt(claims(seconds, { aud: ownUrl }))), [ownUrl]).status, 200);
  });

  it('accepts several space-separated scopes', () => {
    const reply = issuer.exchange(grant(signJwt(claims(seconds, { scope: `${CLOUD_PLATFORM} https://www.googleapis.com/auth/userinfo.email` }))), []);
    const checked = issuer.check(String(reply.body.access_token));
    assert.ok(checked.ok);
    assert.equal(checked.token.scopes.length, 2);
  });

  const refusals: { name: string; form: URLSearchParams; error: string; description: string }[] = [
    { name: 'no grant_type', form: form({ assertion: 'x' }), error: 'invalid_request', description: 'Missing required parameter: grant_type' },
    {
      name: 'another grant type',
      form: form({ grant_type: 'client_credentials' }),
      error: 'unsupported_grant_type',
      description: 'Invalid grant_type: client_credentials',
    },
    {
      name: 'no assertion',
      form: form({ grant_type: GOOGLE_JWT_BEARER_GRANT }),
      error: 'invalid_request',
      description: 'Missing required parameter: assertion',
    },
    { name: 'not a JWT', form: grant('not-a-jwt'), error: 'invalid_grant', description: 'Invalid JWT Signature.' },
    {
      name: 'an unknown account',
      form: grant(signJwt(claims(seconds, { iss: 'nobody@x.iam.gserviceaccount.com' }))),
      error: 'invalid_grant',
      description: 'Invalid grant: account not found',
    },
    {
      name: 'signed with another key',
      form: grant(signJwt(claims(seconds), stranger.credentials.private_key)),
      error: 'invalid_grant',
      description: 'Invalid JWT Signature.',
    },
    { name: 'alg none', form: grant(`${encode({ alg: 'none' })}.${encode(claims(seconds))}.`), error: 'invalid_grant', description: 'Invalid JWT Signature.' },
    { name: 'a tampered payload', form: grant(tamper(signJwt(claims(seconds)))), error: 'invalid_grant', description: 'Invalid JWT Signature.' },
    {
      name: 'a wrong audience',
      form: grant(signJwt(claims(seconds, { aud: 'https://evil.example/token' }))),
      error: 'invalid_grant',
      description: 'Invalid JWT: Failed audience check.',
    },
    {
      name: 'lives longer than an hour',
      form: grant(signJwt(claims(seconds, { exp: seconds + 3601 }))),
      error: 'invalid_grant',
      description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
    },
    {
      name: 'expired',
      form: grant(signJwt(claims(seconds - 7200))),
      error: 'invalid_grant',
      description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
    },
    {
      name: 'issued in the future',
      form: grant(signJwt(claims(seconds + 900))),
      error: 'invalid_grant',
      description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
    },
    {
      name: 'no scope',
      form: grant(signJwt(claims(seconds, { scope: undefined }))),
      error: 'invalid_scope',
      description: 'Invalid OAuth scope or ID token audience provided.',
    },
    {
      name: 'a scope that is not a Google scope',
      form: grant(signJwt(claims(seconds, { scope: 'admin' }))),
      error: 'invalid_scope',
      description: 'Invalid OAuth scope or ID token audience provided.',
    },
  ];
  for (const item of refusals) {
    it(`refuses ${item.name} with ${item.error}`, () => {
      assert.deepEqual(issuer.exchange(item.form, []), { status: 400, body: { error: item.error, error_description: item.description } });
    });
  }

  it('a token is refused as expired once its lifetime has passed', () => {
    let clock = now;
    const shortLived = new GoogleTokenIssuer({ lifetimeSeconds: 5, now: () => clock });
    const token = String(shortLived.issue([CLOUD_PLATFORM]).access_token);
    assert.ok(shortLived.check(token).ok);
    clock += 5000;
    assert.deepEqual(shortLived.check(token), { ok: false, reason: 'expired' });
  });
});

/** Flips the payload's scope while keeping the signature. */
function tamper(jwt: string): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const claimsJson = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  return `${header}.${encode({ ...claimsJson, scope: `${claimsJson.scope} https://www.googleapis.com/auth/devstorage.full_control` })}.${signature}`;
}

describe('POST /token on the Vertex emulator', () => {
  const emulator = new VertexEmulator({ serviceAccounts: [{ clientEmail: email, publicKeyPem: account.publicKeyPem }] });
  before(() => emulator.start());
  after(() => emulator.close());

  async function postToken(body: string): Promise<{ status: number; json: Record<string, unknown>; response: Response }> {
    const response = await fetch(emulator.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    return { status: response.status, json: (await response.json()) as Record<string, unknown>, response };
  }

  it('answers a form-encoded JWT-bearer grant with an access token', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const { status, json, response } = await postToken(grant(signJwt(claims(nowSeconds))).toString());
    assert.equal(status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(Object.keys(json).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.equal(json.expires_in, 3600);
  });

  it("answers errors in Google OAuth's shape", async () => {
    const { status, json } = await postToken('grant_type=password');
    assert.equal(status, 400);
    assert.deepEqual(json, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: password' });
  });

  it('is not touched or counted by injected faults', async () => {
    emulator.setFaults({ status: 503, count: 1 });
    try {
      const nowSeconds = Math.floor(Date.now() / 1000);
      assert.equal((await postToken(grant(signJwt(claims(nowSeconds))).toString())).status, 200);
      assert.deepEqual(emulator.faults(), { status: 503, count: 1 });
    } finally {
      emulator.clearFaults();
    }
  });

  it('a service account registered after start is accepted', async () => {
    const late = createEmulatorServiceAccount(emulator.tokenUrl, { accountName: 'late' });
    const assertion = signJwt({ ...claims(Math.floor(Date.now() / 1000)), iss: late.credentials.client_email }, late.credentials.private_key);
    assert.equal((await postToken(grant(assertion).toString())).status, 400);
    emulator.registerServiceAccount({ clientEmail: late.credentials.client_email, publicKeyPem: late.publicKeyPem });
    assert.equal((await postToken(grant(assertion).toString())).status, 200);
  });
});

describe('createEmulatorServiceAccount', () => {
  it("writes a key file in Google's layout with the given token_uri and a PKCS#8 key", () => {
    const created = createEmulatorServiceAccount('http://127.0.0.1:4013/token', { projectId: 'p-1' });
    const { credentials } = created;
    assert.equal(credentials.type, 'service_account');
    assert.equal(credentials.project_id, 'p-1');
    assert.equal(credentials.token_uri, 'http://127.0.0.1:4013/token');
    assert.equal(credentials.client_email, 'crossway-gateway@p-1.iam.gserviceaccount.com');
    assert.match(credentials.private_key, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(created.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.match(credentials.private_key_id, /^[0-9a-f]{40}$/);
  });
});
