import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routeSchema } from '../catalog/index.ts';
import { UpstreamError } from '../wire/index.ts';
import { createSecretScrubber, MIN_SECRET_LENGTH, REDACTED, routeSecrets, scrubberForAttempt, scrubberForRoute, sentSecrets } from './scrub-secrets.ts';

const KEY = 'route-key-0123456789abcdef';

async function collect(chunks: string[], scrub: (body: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>): Promise<string[]> {
  async function* source() {
    for (const chunk of chunks) yield Buffer.from(chunk);
  }
  const out: string[] = [];
  for await (const chunk of scrub(source())) out.push(Buffer.from(chunk).toString());
  return out;
}

describe('routeSecrets and sentSecrets', () => {
  it('finds every configured credential of a route', () => {
    const route = routeSchema.parse({
      id: 'r',
      model: 'm',
      provider: 'bedrock',
      endpoint: 'https://bedrock.example',
      auth: { type: 'sigv4', access_key_id: 'AKIAABCDEFGHIJKLMNOP', secret_access_key: 'secret-access-key-123', session_token: 'session-token-456' },
    });
    assert.deepEqual(routeSecrets(route).toSorted(), ['AKIAABCDEFGHIJKLMNOP', 'secret-access-key-123', 'session-token-456']);
  });

  it('takes the credential headers an attempt sent, with the token of a bearer value and a SigV4 signature', () => {
    const secrets = sentSecrets(
      {
        method: 'POST',
        url: 'https://x',
        headers: {
          'content-type': 'application/json',
          Authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/20261207/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=abcdef0123456789',
          'x-amz-security-token': 'session-token-456',
          'x-custom-key': 'custom-key-value',
        },
      },
      'X-Custom-Key',
    );
    assert.ok(secrets.includes('abcdef0123456789'));
    assert.ok(secrets.includes('session-token-456'));
    assert.ok(secrets.includes('custom-key-value'));
    assert.ok(!secrets.includes('application/json'));
    assert.deepEqual(sentSecrets({ method: 'POST', url: 'https://x', headers: { authorization: 'Bearer tok-0123456789' } }), [
      'Bearer tok-0123456789',
      'tok-0123456789',
    ]);
  });
});

describe('scrubberForAttempt', () => {
  const route = routeSchema.parse({ id: 'r', model: 'm', provider: 'azure', endpoint: 'https://x.example', auth: { type: 'entra' } });
  const request = (token: string) => ({ method: 'POST' as const, url: 'https://x.example', headers: { authorization: `Bearer ${token}` } });

  it('scrubs the token each attempt sent, reusing the scrubber while the token stays the same', () => {
    const first = scrubberForAttempt(route, request('entra-token-one-0123456789'));
    assert.equal(scrubberForAttempt(route, request('entra-token-one-0123456789')), first);
    assert.equal(first.text('got entra-token-one-0123456789'), `got ${REDACTED}`);
    const second = scrubberForAttempt(route, request('entra-token-two-0123456789'));
    assert.notEqual(second, first);
    assert.equal(second.bytes(Buffer.from('got entra-token-two-0123456789')).toString(), `got ${REDACTED}`);
    assert.equal(
      scrubberForAttempt(route, { method: 'POST', url: 'https://x.example', headers: {} }),
      scrubberForRoute(route),
      "nothing sent: the route's own",
    );
  });
});

describe('createSecretScrubber', () => {
  const scrubber = createSecretScrubber([KEY, 'short']);

  it('replaces exact secrets in text, and key shapes there too', () => {
    assert.equal(scrubber.text(`bad key ${KEY}!`), `bad key ${REDACTED}!`);
    assert.equal(scrubber.text('Authorization: Bearer abc.def-ghi_jkl'), `Authorization: Bearer ${REDACTED}`);
    assert.equal(scrubber.text('key sk-proj-AAAAbbbbCCCCdddd1234 and AKIAABCDEFGHIJKLMNOP'), `key ${REDACTED} and ${REDACTED}`);
    assert.equal(scrubber.text('short words stay'), 'short words stay', `values under ${MIN_SECRET_LENGTH} characters are not secrets`);
    assert.equal(scrubber.text('token eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl end'), `token ${REDACTED} end`);
  });

  it('scrubs a hostile megabyte of text in linear time', () => {
    const hostile = `${'eyJ-'.repeat(250_000)} ${'sk-'.repeat(300_000)} ${'Bearer '.repeat(100_000)}`;
    const started = performance.now();
    scrubber.text(hostile);
    const ms = performance.now() - started;
    assert.ok(ms < 2_000, `${ms} ms`);
  });

  it('replaces exact secrets in bytes, including their JSON-escaped form, and returns the input when none occurs', () => {
    const quoted = createSecretScrubber(['with"quote-and\\slash']);
    assert.equal(quoted.bytes(Buffer.from(JSON.stringify({ h: 'with"quote-and\\slash' }))).toString(), `{"h":"${REDACTED}"}`);
    const clean = Buffer.from('nothing to see, sk-proj-AAAAbbbbCCCCdddd1234 is model output');
    assert.equal(scrubber.bytes(clean), clean, 'no copy, and key shapes stay in content');
    assert.equal(scrubber.bytes(Buffer.from(`${KEY}${KEY} x ${KEY}`)).toString(), `${REDACTED}${REDACTED} x ${REDACTED}`);
  });

  it('scrubs a stream whose chunks split a secret anywhere, and holds nothing back when no secret starts at the end', async () => {
    const text = `data: {"echo":"${KEY}"}\n\ndata: [DONE]\n\n`;
    for (let cut = 1; cut < text.length; cut += 1) {
      const out = await collect([text.slice(0, cut), text.slice(cut)], scrubber.stream);
      assert.equal(out.join(''), text.replace(KEY, REDACTED), `cut at ${cut}`);
    }
    const bytewise = await collect([...text], scrubber.stream);
    assert.equal(bytewise.join(''), text.replace(KEY, REDACTED));
    // SSE events end in blank lines: each chunk goes out whole and at once.
    const events = ['data: {"a":1}\n\n', 'data: {"b":2}\n\n'];
    assert.deepEqual(await collect(events, scrubber.stream), events);
    // A stream that ends inside what looked like a secret's start gives those bytes back.
    assert.deepEqual((await collect(['tail route-key-01'], scrubber.stream)).join(''), 'tail route-key-01');
  });

  it('scrubs an error in place: message, stack, details and causes', () => {
    const cause = new Error(`socket said ${KEY}`);
    const error = new UpstreamError(`denied for ${KEY}`, { route: 'r', status: 401, retryable: false, details: { innererror: { key: KEY } }, cause });
    scrubber.error(error);
    assert.ok(!error.message.includes(KEY));
    assert.ok(!String(error.stack).includes(KEY));
    assert.deepEqual(error.details, { innererror: { key: REDACTED } });
    assert.equal(cause.message, `socket said ${REDACTED}`);
  });

  it('without secrets, bytes and streams pass through untouched', async () => {
    const none = createSecretScrubber([]);
    assert.equal(none.hasSecrets, false);
    const body = Buffer.from('x');
    assert.equal(none.bytes(body), body);
    async function* source() {
      yield body;
    }
    const stream = source();
    assert.equal(none.stream(stream), stream);
  });
});
