// The SigV4 verifier against AWS's own test-suite vectors, a signature built by hand from AWS's documented steps,
// signatures made by @smithy/signature-v4 (what the AWS SDK uses), and every way a signature is refused.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { buildCanonicalRequest, canonicalQuery, canonicalUri, formatAmzDate, verifySigV4 } from './bedrock-sigv4-verifier.ts';
import type { AwsCredential, ReceivedRequest, SigV4Policy } from './bedrock-sigv4-verifier.ts';

// AWS's SigV4 test suite (botocore tests/unit/auth/aws4_testsuite): these credentials, date, region and service.
const SUITE_KEY: AwsCredential = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_DATE = '20150830T123600Z';
const SUITE_SCOPE = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';
const EMPTY_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function received(method: string, target: string, headers: Record<string, string>, body = ''): ReceivedRequest {
  const lower: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    lower[key] = [...(lower[key] ?? []), value];
  }
  return { method, target, headers: lower, body: Buffer.from(body) };
}

describe('verifySigV4', () => {
  describe("AWS's test-suite vectors", () => {
    const vectors: { name: string; request: ReceivedRequest; signedHeaders: string; canonical: string; signature: string; credential?: AwsCredential }[] = [
      {
        name: 'get-vanilla',
        request: received('GET', '/', { Host: 'example.amazonaws.com', 'X-Amz-Date': SUITE_DATE }),
        signedHeaders: 'host;x-amz-date',
        canonical: `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:${SUITE_DATE}\n\nhost;x-amz-date\n${EMPTY_HASH}`,
        signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
      {
        name: 'get-header-value-trim',
        request: received('GET', '/', { Host: 'example.amazonaws.com', 'My-Header1': ' value1', 'My-Header2': ' "a   b   c"', 'X-Amz-Date': SUITE_DATE }),
        signedHeaders: 'host;my-header1;my-header2;x-amz-date',
        canonical:
          `GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:"a b c"\nx-amz-date:${SUITE_DATE}\n\n` +
          `host;my-header1;my-header2;x-amz-date\n${EMPTY_HASH}`,
        signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
      },
      {
        name: 'get-vanilla-query-order-key-case',
        request: received('GET', '/?Param2=value2&Param1=value1', { Host: 'example.amazonaws.com', 'X-Amz-Date': SUITE_DATE }),
        signedHeaders: 'host;x-amz-date',
        canonical: `GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:${SUITE_DATE}\n\nhost;x-amz-date\n${EMPTY_HASH}`,
        signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
      },
      {
        name: 'get-utf8',
        request: received('GET', '/ሴ', { Host: 'example.amazonaws.com', 'X-Amz-Date': SUITE_DATE }),
        signedHeaders: 'host;x-amz-date',
        canonical: `GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:${SUITE_DATE}\n\nhost;x-amz-date\n${EMPTY_HASH}`,
        signature: '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85',
      },
      {
        name: 'normalize-path/get-slashes',
        request: received('GET', '//example//', { Host: 'example.amazonaws.com', 'X-Amz-Date': SUITE_DATE }),
        signedHeaders: 'host;x-amz-date',
        canonical: `GET\n/example/\n\nhost:example.amazonaws.com\nx-amz-date:${SUITE_DATE}\n\nhost;x-amz-date\n${EMPTY_HASH}`,
        signature: '9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84',
      },
      {
        name: 'normalize-path/get-relative-relative',
        request: received('GET', '/example1/example2/../..', { Host: 'example.amazonaws.com', 'X-Amz-Date': SUITE_DATE }),
        signedHeaders: 'host;x-amz-date',
        canonical: `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:${SUITE_DATE}\n\nhost;x-amz-date\n${EMPTY_HASH}`,
        signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
      {
        name: 'post-x-www-form-urlencoded',
        request: received(
          'POST',
          '/',
          { 'Content-Type': 'application/x-www-form-urlencoded', Host: 'example.amazonaws.com', 'X-Amz-Date': SUITE_DATE },
          'Param1=value1',
        ),
        signedHeaders: 'content-type;host;x-amz-date',
        canonical:
          `POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:${SUITE_DATE}\n\n` +
          'content-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e',
        signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
      },
      {
        name: 'get-vanilla-with-session-token',
        request: received('GET', '/', {
          Host: 'example.amazonaws.com',
          'X-Amz-Date': SUITE_DATE,
          'X-Amz-Security-Token': '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267',
        }),
        signedHeaders: 'host;x-amz-date;x-amz-security-token',
        canonical:
          `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:${SUITE_DATE}\n` +
          'x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\n' +
          `host;x-amz-date;x-amz-security-token\n${EMPTY_HASH}`,
        signature: '07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8',
        credential: { ...SUITE_KEY, sessionToken: '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267' },
      },
    ];
    for (const vector of vectors) {
      it(`${vector.name}: rebuilds the canonical request and accepts the suite's signature`, () => {
        assert.equal(buildCanonicalRequest(vector.request, vector.signedHeaders.split(';')), vector.canonical);
        const authorization = `AWS4-HMAC-SHA256 Credential=${SUITE_SCOPE}, SignedHeaders=${vector.signedHeaders}, Signature=${vector.signature}`;
        const request = { ...vector.request, headers: { ...vector.request.headers, authorization: [authorization] } };
        const verdict = verifySigV4(request, {
          credentials: [vector.credential ?? SUITE_KEY],
          service: 'service',
          regions: ['us-east-1'],
          now: new Date('2015-08-30T12:36:00Z'),
        });
        assert.deepEqual(verdict, { ok: true, accessKeyId: 'AKIDEXAMPLE', region: 'us-east-1' });
      });
    }
  });

  describe('canonical URI and query', () => {
    const uris: [string, string][] = [
      ['/model/openai.gpt-oss-120b-1%3A0/converse', '/model/openai.gpt-oss-120b-1%253A0/converse'],
      ['/model/openai.gpt-oss-120b-1:0/converse-stream', '/model/openai.gpt-oss-120b-1%3A0/converse-stream'],
      [
        '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.x/converse',
        '/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A123456789012%253Ainference-profile%252Fus.x/converse',
      ],
      ['/openai/v1/chat/completions', '/openai/v1/chat/completions'],
      ['/example space/', '/example%20space/'],
    ];
    for (const [wire, canonical] of uris) {
      it(`encodes the wire path ${wire} once more`, () => assert.equal(canonicalUri(wire), canonical));
    }
    it('sorts and strictly re-encodes query parameters', () => {
      assert.equal(canonicalQuery('b=2&a=x%20y&a=1&c'), 'a=1&a=x%20y&b=2&c=');
      assert.equal(canonicalQuery("q=it's*"), 'q=it%27s%2A');
    });
  });

  describe('Bedrock requests', () => {
    const credential: AwsCredential = { accessKeyId: 'AKIAEMULATOREXAMPLE', secretAccessKey: 'emulator/secret/key/EXAMPLEKEY' };
    const now = new Date('2026-03-01T10:00:00Z');
    const policy: SigV4Policy = { credentials: [credential], service: 'bedrock', regions: ['us-east-1', 'us-west-2'], now };
    const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hello' }] }] });
    const path = '/model/openai.gpt-oss-120b-1%3A0/converse';

    it('accepts a signature built by hand from the documented steps (path encoded twice)', () => {
      const amzDate = '20260301T100000Z';
      const payloadHash = createHash('sha256').update(body).digest('hex');
      const canonical = [
        'POST',
        '/model/openai.gpt-oss-120b-1%253A0/converse',
        '',
        'content-type:application/json',
        'host:127.0.0.1:4012',
        `x-amz-date:${amzDate}`,
        '',
        'content-type;host;x-amz-date',
        payloadHash,
      ].join('\n');
      const scope = '20260301/us-west-2/bedrock/aws4_request';
      const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
      let key: Buffer = Buffer.from(`AWS4${credential.secretAccessKey}`);
      for (const part of ['20260301', 'us-west-2', 'bedrock', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
      const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
      const request = received(
        'POST',
        path,
        {
          host: '127.0.0.1:4012',
          'content-type': 'application/json',
          'x-amz-date': amzDate,
          authorization: `AWS4-HMAC-SHA256 Credential=${credential.accessKeyId}/${scope}, SignedHeaders=content-type;host;x-amz-date, Signature=${signature}`,
        },
        body,
      );
      assert.deepEqual(verifySigV4(request, policy), { ok: true, accessKeyId: 'AKIAEMULATOREXAMPLE', region: 'us-west-2' });
    });

    async function smithySigned(
      options: { credential?: AwsCredential; region?: string; service?: string; signingDate?: Date; target?: string } = {},
    ): Promise<ReceivedRequest> {
      const signer = new SignatureV4({
        credentials: options.credential ?? credential,
        region: options.region ?? 'us-east-1',
        service: options.service ?? 'bedrock',
        sha256: Sha256,
      });
      const signed = await signer.sign(
        {
          method: 'POST',
          protocol: 'http:',
          hostname: '127.0.0.1',
          port: 4012,
          path: options.target ?? path,
          query: {},
          headers: { host: '127.0.0.1:4012', 'content-type': 'application/json' },
          body,
        },
        { signingDate: options.signingDate ?? now },
      );
      return received('POST', options.target ?? path, signed.headers, body);
    }

    it('accepts what @smithy/signature-v4 signs, with and without a session token', async () => {
      assert.equal(verifySigV4(await smithySigned(), policy).ok, true);
      const temporary = { ...credential, accessKeyId: 'ASIAEMULATORTEMP', sessionToken: 'session-token-1' };
      const verdict = verifySigV4(await smithySigned({ credential: temporary }), { ...policy, credentials: [temporary] });
      assert.equal(verdict.ok, true);
    });

    const failures: { name: string; make: () => Promise<ReceivedRequest>; type: string; message: RegExp }[] = [
      {
        name: 'a header without Credential, SignedHeaders and Signature',
        make: async () => received('POST', path, { host: 'h', 'x-amz-date': '20260301T100000Z', authorization: 'AWS4-HMAC-SHA256 ' }, body),
        type: 'IncompleteSignatureException',
        message: new RegExp(
          String.raw`^Authorization header requires 'Credential' parameter\. ` +
            String.raw`Authorization header requires 'Signature' parameter\. Authorization header requires 'SignedHeaders' parameter\.`,
        ),
      },
      {
        name: 'another auth scheme',
        make: async () => received('POST', path, { host: 'h', authorization: 'Basic dXNlcjpwYXNz' }, body),
        type: 'IncompleteSignatureException',
        message: /requires 'Credential' parameter/,
      },
      {
        name: 'a stale x-amz-date',
        make: () => smithySigned({ signingDate: new Date('2026-03-01T09:50:00Z') }),
        type: 'InvalidSignatureException',
        message: /^Signature expired: 20260301T095000Z is now earlier than 20260301T095500Z \(20260301T100000Z - 5 min\.\)$/,
      },
      {
        name: 'an x-amz-date in the future',
        make: () => smithySigned({ signingDate: new Date('2026-03-01T10:10:00Z') }),
        type: 'InvalidSignatureException',
        message: /^Signature not yet current: 20260301T101000Z is still later than 20260301T100500Z \(20260301T100000Z \+ 5 min\.\)$/,
      },
      {
        name: 'the wrong service in the scope',
        make: () => smithySigned({ service: 'bedrock-runtime' }),
        type: 'InvalidSignatureException',
        message: /^Credential should be scoped to correct service: 'bedrock'\. $/,
      },
      {
        name: 'a region outside the allowed ones',
        make: () => smithySigned({ region: 'eu-west-1' }),
        type: 'InvalidSignatureException',
        message: /^Credential should be scoped to a valid region, not 'eu-west-1'\. $/,
      },
      {
        name: 'an unknown access key',
        make: () => smithySigned({ credential: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } }),
        type: 'UnrecognizedClientException',
        message: /^The security token included in the request is invalid\.$/,
      },
      {
        name: 'a session token the key does not have',
        make: () => smithySigned({ credential: { ...credential, sessionToken: 'stray' } }),
        type: 'UnrecognizedClientException',
        message: /^The security token included in the request is invalid\.$/,
      },
      {
        name: 'the wrong secret',
        make: () => smithySigned({ credential: { ...credential, secretAccessKey: 'not-the-secret' } }),
        type: 'InvalidSignatureException',
        message: new RegExp(
          String.raw`^The request signature we calculated does not match the signature you provided\. ` +
            String.raw`Check your AWS Secret Access Key and signing method\. Consult the service documentation for details\.` +
            String.raw`\n\nThe Canonical String for this request should have been\n'POST\n\/model\/openai\.gpt-oss-120b-1%253A0\/converse\n`,
        ),
      },
      {
        name: 'a body changed after signing',
        make: async () => ({ ...(await smithySigned()), body: Buffer.from(body.replace('Hello', 'Hellp')) }),
        type: 'InvalidSignatureException',
        message: /^The request signature we calculated does not match/,
      },
      {
        name: 'a path changed after signing',
        make: async () => ({ ...(await smithySigned()), target: '/model/openai.gpt-oss-20b-1%3A0/converse' }),
        type: 'InvalidSignatureException',
        message: /^The request signature we calculated does not match/,
      },
    ];
    for (const failure of failures) {
      it(`refuses ${failure.name} with ${failure.type}`, async () => {
        const verdict = verifySigV4(await failure.make(), policy);
        assert.equal(verdict.ok, false);
        if (verdict.ok) return;
        assert.equal(verdict.type, failure.type);
        assert.match(verdict.message, failure.message);
      });
    }

    it('formats dates in the basic ISO 8601 form', () => assert.equal(formatAmzDate(now), '20260301T100000Z'));
  });
});
