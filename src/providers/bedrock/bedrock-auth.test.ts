// Tests of SigV4 signing: signatures computed independently here with node:crypto from a hand-written canonical
// request (AWS IAM user guide, "Create a signed AWS API request"), after checking that independent computation against
// AWS's own published examples; then credentials, regions and failures.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Route, RouteAuth } from '../../catalog/index.ts';
import { UpstreamError } from '../../wire/index.ts';
import type { UpstreamRequest } from '../provider-adapter.ts';
import { makeTestRoute } from '../test-route.ts';
import { createSigV4Authenticator, resolveSigningRegion, type SigV4AuthDeps } from './bedrock-auth.ts';

const ACCESS_KEY = 'AKIDEXAMPLE';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** The signing key: HMAC chain over date, region, service and `aws4_request`, seeded with `AWS4` + secret. */
function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

/** The signature of a canonical request, per the documented algorithm. */
function signCanonicalRequest(canonicalRequest: string, amzDate: string, region: string, service: string, secret = SECRET_KEY): string {
  const date = amzDate.slice(0, 8);
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, `${date}/${region}/${service}/aws4_request`, sha256Hex(canonicalRequest)].join('\n');
  return createHmac('sha256', signingKey(secret, date, region, service))
    .update(stringToSign, 'utf8')
    .digest('hex');
}

describe('the independent SigV4 computation matches AWS published examples', () => {
  test('signing key example (IAM user guide, "Examples of how to derive a signing key")', () => {
    assert.equal(signingKey(SECRET_KEY, '20150830', 'us-east-1', 'iam').toString('hex'), 'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
  });

  test('get-vanilla of the AWS SigV4 test suite', () => {
    const canonical = ['GET', '/', '', 'host:example.amazonaws.com', 'x-amz-date:20150830T123600Z', '', 'host;x-amz-date', sha256Hex('')].join('\n');
    assert.equal(
      signCanonicalRequest(canonical, '20150830T123600Z', 'us-east-1', 'service'),
      '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });
});

const SIGNING_DATE = new Date('2026-01-15T12:34:56Z');
const AMZ_DATE = '20260115T123456Z';
const BODY = '{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}';
const converseRequest: UpstreamRequest = {
  method: 'POST',
  url: 'https://bedrock-runtime.us-west-2.amazonaws.com/model/openai.gpt-oss-120b-1%3A0/converse',
  headers: { 'content-type': 'application/json', accept: 'application/json' },
  body: BODY,
};

function sigv4Route(auth: Record<string, unknown> = {}, route: Record<string, unknown> = {}): { route: Route; auth: Extract<RouteAuth, { type: 'sigv4' }> } {
  const built = makeTestRoute({
    id: 'bedrock-us-west-2',
    provider: 'bedrock',
    endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com',
    region: 'us-west-2',
    deployment: 'openai.gpt-oss-120b-1:0',
    auth: { type: 'sigv4', access_key_id: ACCESS_KEY, secret_access_key: SECRET_KEY, ...auth },
    ...route,
  });
  if (built.auth.type !== 'sigv4') throw new Error('not sigv4');
  return { route: built, auth: built.auth };
}

function authorize(request: UpstreamRequest, authInput: Record<string, unknown> = {}, routeInput: Record<string, unknown> = {}, deps: SigV4AuthDeps = {}) {
  const { route, auth } = sigv4Route(authInput, routeInput);
  return createSigV4Authenticator(route, auth, { signingDate: () => SIGNING_DATE, ...deps }).authorize(request);
}

describe('createSigV4Authenticator: a Converse call with ":" in the model id', () => {
  const payloadHash = sha256Hex(BODY);

  test('the path is signed encoded twice (%253A) while it travels encoded once (%3A)', async () => {
    const signed = await authorize(converseRequest);
    const canonical = [
      'POST',
      '/model/openai.gpt-oss-120b-1%253A0/converse',
      '',
      'accept:application/json',
      'content-type:application/json',
      'host:bedrock-runtime.us-west-2.amazonaws.com',
      `x-amz-content-sha256:${payloadHash}`,
      `x-amz-date:${AMZ_DATE}`,
      '',
      'accept;content-type;host;x-amz-content-sha256;x-amz-date',
      payloadHash,
    ].join('\n');
    const signature = signCanonicalRequest(canonical, AMZ_DATE, 'us-west-2', 'bedrock');
    assert.deepEqual(signed.headers, {
      'content-type': 'application/json',
      accept: 'application/json',
      host: 'bedrock-runtime.us-west-2.amazonaws.com',
      'x-amz-date': AMZ_DATE,
      'x-amz-content-sha256': payloadHash,
      authorization:
        `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/20260115/us-west-2/bedrock/aws4_request, ` +
        `SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, Signature=${signature}`,
    });
    assert.equal(signed.url, converseRequest.url, 'the URL is sent as built');
    assert.equal(signed.body, BODY, 'the body is sent as signed');

    const encodedOnce = canonical.replace('%253A', '%3A');
    assert.notEqual(signCanonicalRequest(encodedOnce, AMZ_DATE, 'us-west-2', 'bedrock'), signature, 'single encoding would not match');
  });

  test('temporary credentials: x-amz-security-token is sent and signed', async () => {
    const signed = await authorize(converseRequest, { session_token: 'FQoGZXIvYXdzEXAMPLETOKEN' });
    const canonical = [
      'POST',
      '/model/openai.gpt-oss-120b-1%253A0/converse',
      '',
      'accept:application/json',
      'content-type:application/json',
      'host:bedrock-runtime.us-west-2.amazonaws.com',
      `x-amz-content-sha256:${payloadHash}`,
      `x-amz-date:${AMZ_DATE}`,
      'x-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN',
      '',
      'accept;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token',
      payloadHash,
    ].join('\n');
    assert.equal(signed.headers['x-amz-security-token'], 'FQoGZXIvYXdzEXAMPLETOKEN');
    assert.match(signed.headers.authorization ?? '', new RegExp(`Signature=${signCanonicalRequest(canonical, AMZ_DATE, 'us-west-2', 'bedrock')}$`));
  });

  test('a local endpoint with a port: the host header carries the port, as undici sends it', async () => {
    const url = 'http://127.0.0.1:4012/model/openai.gpt-oss-120b-1%3A0/converse-stream';
    const signed = await authorize({ ...converseRequest, url, headers: { 'content-type': 'application/json' } });
    const canonical = [
      'POST',
      '/model/openai.gpt-oss-120b-1%253A0/converse-stream',
      '',
      'content-type:application/json',
      'host:127.0.0.1:4012',
      `x-amz-content-sha256:${payloadHash}`,
      `x-amz-date:${AMZ_DATE}`,
      '',
      'content-type;host;x-amz-content-sha256;x-amz-date',
      payloadHash,
    ].join('\n');
    assert.equal(signed.headers.host, '127.0.0.1:4012');
    assert.match(signed.headers.authorization ?? '', new RegExp(`Signature=${signCanonicalRequest(canonical, AMZ_DATE, 'us-west-2', 'bedrock')}$`));
  });

  test('signing headers already on the request (route headers) are replaced, never doubled', async () => {
    const signed = await authorize({
      ...converseRequest,
      headers: { ...converseRequest.headers, Authorization: 'Bearer stale', 'X-Amz-Date': '19990101T000000Z', Host: 'evil.example' },
    });
    assert.equal(Object.keys(signed.headers).filter((name) => name.toLowerCase() === 'authorization').length, 1);
    assert.equal(signed.headers['x-amz-date'], AMZ_DATE);
    assert.equal(signed.headers.host, 'bedrock-runtime.us-west-2.amazonaws.com');
  });
});

describe('createSigV4Authenticator: region, service and credentials', () => {
  test('auth.region and auth.service override the defaults', async () => {
    const signed = await authorize(converseRequest, { region: 'eu-west-1', service: 'bedrock-runtime' });
    assert.match(signed.headers.authorization ?? '', /Credential=AKIDEXAMPLE\/20260115\/eu-west-1\/bedrock-runtime\/aws4_request/);
  });

  const regions: { name: string; endpoint: string; region?: string; expected: string | null }[] = [
    { name: 'route region', endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com', region: 'eu-central-1', expected: 'eu-central-1' },
    { name: 'from a bedrock-runtime host', endpoint: 'https://bedrock-runtime.us-east-1.amazonaws.com', expected: 'us-east-1' },
    { name: 'from a FIPS host', endpoint: 'https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com', expected: 'us-gov-west-1' },
    { name: 'from a bedrock-mantle host', endpoint: 'https://bedrock-mantle.ap-southeast-3.api.aws', expected: 'ap-southeast-3' },
    { name: 'none to be found', endpoint: 'http://127.0.0.1:4012', expected: null },
  ];
  for (const item of regions) {
    test(`signing region: ${item.name}`, () => {
      const { route, auth } = sigv4Route({}, { endpoint: item.endpoint, region: item.region ?? 'global' });
      if (item.expected === null) {
        assert.throws(
          () => resolveSigningRegion(route, auth),
          (error: unknown) => error instanceof UpstreamError && error.code === 'route_misconfigured',
        );
      } else {
        assert.equal(resolveSigningRegion(route, auth), item.expected);
      }
    });
  }

  test('without keys the AWS default chain is used (here: the environment), loaded on first use and reused', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENVIRONMENT';
    process.env.AWS_SECRET_ACCESS_KEY = SECRET_KEY;
    delete process.env.AWS_SESSION_TOKEN;
    try {
      const { route } = sigv4Route();
      const chainRoute = makeTestRoute({ ...route, auth: { type: 'sigv4' } });
      if (chainRoute.auth.type !== 'sigv4') throw new Error('not sigv4');
      const authenticator = createSigV4Authenticator(chainRoute, chainRoute.auth, { signingDate: () => SIGNING_DATE });
      for (let i = 0; i < 3; i++) {
        const signed = await authenticator.authorize(converseRequest);
        assert.match(signed.headers.authorization ?? '', /Credential=AKIDFROMENVIRONMENT\/20260115\/us-west-2\/bedrock\/aws4_request/);
      }
    } finally {
      for (const [name, value] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
        ['AWS_SESSION_TOKEN', saved.token],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  test('an injected credential provider is asked on each signature (its own cache decides)', async () => {
    let calls = 0;
    const awsCredentials = async () => {
      calls += 1;
      return { accessKeyId: 'AKIDINJECTED', secretAccessKey: SECRET_KEY };
    };
    const signed = await authorize(converseRequest, {}, {}, { awsCredentials });
    assert.match(signed.headers.authorization ?? '', /Credential=AKIDINJECTED\//);
    assert.equal(calls, 1);
  });

  test('a failing credential provider is a retryable 502 naming the route, without secrets', async () => {
    const awsCredentials = async () => {
      throw new Error('Could not load credentials from any providers');
    };
    await assert.rejects(authorize(converseRequest, {}, {}, { awsCredentials }), (error: unknown) => {
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.status, 502);
      assert.equal(error.code, 'upstream_auth_failed');
      assert.equal(error.retryable, true);
      assert.match(error.message, /Could not load credentials from any providers \(route bedrock-us-west-2\)$/);
      assert.ok(!error.message.includes(SECRET_KEY));
      return true;
    });
  });

  test('an access key without its secret is a route configuration error', async () => {
    const built = makeTestRoute({
      id: 'half-keys',
      provider: 'bedrock',
      endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com',
      region: 'us-west-2',
      auth: { type: 'sigv4', access_key_id: ACCESS_KEY },
    });
    if (built.auth.type !== 'sigv4') throw new Error('not sigv4');
    const authenticator = createSigV4Authenticator(built, built.auth);
    await assert.rejects(authenticator.authorize(converseRequest), (error: unknown) => {
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.code, 'route_misconfigured');
      assert.ok(!error.message.includes(ACCESS_KEY));
      return true;
    });
  });

  test('an aborted signal stops the call', async () => {
    const { route, auth } = sigv4Route();
    const controller = new AbortController();
    controller.abort(new Error('client went away'));
    await assert.rejects(createSigV4Authenticator(route, auth).authorize(converseRequest, controller.signal), /client went away/);
  });
});
