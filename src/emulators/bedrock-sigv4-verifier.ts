// Verifies an AWS Signature Version 4 `Authorization` header the way an AWS front end does: it rebuilds the canonical
// request from the request as received, derives the signing key from the secret of the named access key and compares.
// Algorithm: AWS "Create a signed AWS API request" and "Elements of an AWS API request signature"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html, .../reference_sigv-signing-elements.html);
// checked against AWS's SigV4 test suite (botocore tests/unit/auth/aws4_testsuite). Error wording is AWS's as quoted in
// public reports: "Signature expired: ... (... - 5 min.)" (anthropics/anthropic-sdk-go#122, Bedrock, 403), the signature
// mismatch text with the expected canonical string (BerriAI/litellm#14763, Bedrock), the scope messages
// (cllunsford/aws-signing-proxy#25, aws/aws-sdk-go#156) and the incomplete-header messages (aws/chalice#828).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** One access key the emulated account knows. */
export interface AwsCredential {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, requests signed with this key must carry it in `x-amz-security-token`. */
  sessionToken?: string;
}

/** A request as received, before any decoding. */
export interface ReceivedRequest {
  method: string;
  /** Path and query exactly as on the request line, e.g. `/model/openai.gpt-oss-120b-1%3A0/converse`. */
  target: string;
  /** Lower-case header name -> every value received, in order. */
  headers: Readonly<Record<string, readonly string[] | undefined>>;
  body: Uint8Array;
}

/** What a signature must satisfy besides matching. */
export interface SigV4Policy {
  credentials: readonly AwsCredential[];
  /** Signing name the credential scope must name, e.g. `bedrock`. */
  service: string;
  /** Regions the scope may name; undefined accepts any well-formed region. */
  regions?: readonly string[];
  now: Date;
  /** Allowed clock difference either way, 5 minutes by default (AWS's). */
  maxSkewMs?: number;
}

/** The outcome: the key and region that signed, or AWS's error type and message. */
export type SigV4Verdict = { ok: true; accessKeyId: string; region: string } | { ok: false; type: string; message: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
const FIVE_MINUTES = 5 * 60 * 1000;

/** Verifies the SigV4 `Authorization` header of `request`. */
export function verifySigV4(request: ReceivedRequest, policy: SigV4Policy): SigV4Verdict {
  const authorization = firstHeader(request, 'authorization') ?? '';
  const parsed = parseAuthorization(authorization);
  if ('problem' in parsed) return fail('IncompleteSignatureException', parsed.problem);
  const amzDate = firstHeader(request, 'x-amz-date') ?? fromHttpDate(firstHeader(request, 'date'));
  if (amzDate === undefined) {
    return fail(
      'IncompleteSignatureException',
      `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization}`,
    );
  }
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) {
    return fail('InvalidSignatureException', `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  const scopeProblem = checkScope(parsed.scope, amzDate, policy);
  if (scopeProblem !== undefined) return fail('InvalidSignatureException', scopeProblem);
  const skewProblem = checkSkew(amzDate, signedAt, policy.now, policy.maxSkewMs ?? FIVE_MINUTES);
  if (skewProblem !== undefined) return fail('InvalidSignatureException', skewProblem);
  if (!parsed.signedHeaders.includes('host') && !parsed.signedHeaders.includes(':authority')) {
    return fail('InvalidSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }

  const credential = policy.credentials.find((candidate) => candidate.accessKeyId === parsed.scope.accessKeyId);
  const token = firstHeader(request, 'x-amz-security-token');
  if (credential === undefined || token !== credential.sessionToken) {
    return fail('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }

  const canonicalRequest = buildCanonicalRequest(request, parsed.signedHeaders);
  const scope = [parsed.scope.date, parsed.scope.region, parsed.scope.service, parsed.scope.terminator].join('/');
  const stringToSign = buildStringToSign(amzDate, scope, canonicalRequest);
  const key = deriveSigningKey(credential.secretAccessKey, parsed.scope.date, parsed.scope.region, parsed.scope.service);
  const expected = Buffer.from(createHmac('sha256', key).update(stringToSign).digest('hex'));
  const given = Buffer.from(parsed.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return fail(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key ' +
        'and signing method. Consult the service documentation for details.\n\n' +
        `The Canonical String for this request should have been\n'${canonicalRequest}'\n\n` +
        `The String-to-Sign should have been\n'${stringToSign}'\n`,
    );
  }
  return { ok: true, accessKeyId: credential.accessKeyId, region: parsed.scope.region };
}

/** The canonical request: method, canonical URI, canonical query, signed headers and the payload's SHA-256. */
export function buildCanonicalRequest(request: ReceivedRequest, signedHeaders: readonly string[]): string {
  const at = request.target.indexOf('?');
  const path = at < 0 ? request.target : request.target.slice(0, at);
  const query = at < 0 ? '' : request.target.slice(at + 1);
  const headers = signedHeaders.map((name) => `${name}:${canonicalHeaderValue(request.headers[name] ?? [])}\n`).join('');
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  return [request.method, canonicalUri(path), canonicalQuery(query), headers, signedHeaders.join(';'), payloadHash].join('\n');
}

/**
 * The canonical URI of a path as it appeared on the wire: dot segments and empty segments removed (RFC 3986
 * normalisation), then every segment URI-encoded once more. The path is already encoded on the wire, so for every
 * service but S3 the result is encoded twice: `/model/a-1%3A0/converse` becomes `/model/a-1%253A0/converse`.
 */
export function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return `/${segments.map(uriEncode).join('/')}${trailing}`;
}

/** The canonical query: names and values decoded, re-encoded strictly, sorted by name then value. */
export function canonicalQuery(query: string): string {
  const pairs = query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      const value = equals < 0 ? '' : pair.slice(equals + 1);
      return [uriEncode(decodeComponent(name)), uriEncode(decodeComponent(value))] as const;
    });
  pairs.sort(([nameA, valueA], [nameB, valueB]) => compare(nameA, nameB) || compare(valueA, valueB));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** `AWS4-HMAC-SHA256`, the request time, the scope and the hex SHA-256 of the canonical request, one per line. */
export function buildStringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  return [ALGORITHM, amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
}

/** HMAC chain `AWS4<secret>` -> date -> region -> service -> `aws4_request`. */
export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const dateKey = createHmac('sha256', `AWS4${secretAccessKey}`).update(date).digest();
  const regionKey = createHmac('sha256', dateKey).update(region).digest();
  const serviceKey = createHmac('sha256', regionKey).update(service).digest();
  return createHmac('sha256', serviceKey).update('aws4_request').digest();
}

/** AWS's URI encoding: every byte but the unreserved `A-Z a-z 0-9 - _ . ~` as `%XY` with upper-case hex. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

interface ParsedAuthorization {
  scope: { accessKeyId: string; date: string; region: string; service: string; terminator: string };
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(header: string): ParsedAuthorization | { problem: string } {
  const rest = header.startsWith(`${ALGORITHM} `) ? header.slice(ALGORITHM.length + 1) : '';
  const fields = new Map<string, string>();
  for (const part of rest
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')) {
    const equals = part.indexOf('=');
    if (equals < 0) return { problem: `'${part}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'.` };
    fields.set(part.slice(0, equals), part.slice(equals + 1));
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders']
    .filter((name) => !fields.has(name))
    .map((name) => `Authorization header requires '${name}' parameter.`);
  if (missing.length > 0) return { problem: `${missing.join(' ')} Authorization=${header}` };
  const credential = fields.get('Credential') ?? '';
  const parts = credential.split('/');
  if (parts.length !== 5) {
    return { problem: `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'` };
  }
  const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = parts;
  return {
    scope: { accessKeyId, date, region, service, terminator },
    signedHeaders: (fields.get('SignedHeaders') ?? '').split(';').map((name) => name.toLowerCase()),
    signature: fields.get('Signature') ?? '',
  };
}

function checkScope(scope: ParsedAuthorization['scope'], amzDate: string, policy: SigV4Policy): string | undefined {
  if (scope.terminator !== 'aws4_request') return `Credential should be scoped with a valid terminator: 'aws4_request', not '${scope.terminator}'. `;
  if (scope.date !== amzDate.slice(0, 8)) {
    return (
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${amzDate.slice(0, 8)}', from ` +
      `'${amzDate}'.`
    );
  }
  if (scope.service !== policy.service) return `Credential should be scoped to correct service: '${policy.service}'. `;
  const wellFormed = /^[a-z]{2}(-[a-z]+)+-\d+$/.test(scope.region);
  if (!wellFormed || (policy.regions !== undefined && !policy.regions.includes(scope.region))) {
    return `Credential should be scoped to a valid region, not '${scope.region}'. `;
  }
  return undefined;
}

function checkSkew(amzDate: string, signedAt: Date, now: Date, maxSkewMs: number): string | undefined {
  const earliest = new Date(now.getTime() - maxSkewMs);
  const latest = new Date(now.getTime() + maxSkewMs);
  const minutes = Math.round(maxSkewMs / 60_000);
  if (signedAt < earliest) {
    return `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(earliest)} (${formatAmzDate(now)} - ${minutes} min.)`;
  }
  if (signedAt > latest) {
    return `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(latest)} (${formatAmzDate(now)} + ${minutes} min.)`;
  }
  return undefined;
}

/** Header value as AWS canonicalises it: values trimmed, inner runs of whitespace made one space, joined with commas. */
function canonicalHeaderValue(values: readonly string[]): string {
  return values.map((value) => value.trim().replace(/\s+/g, ' ')).join(',');
}

function firstHeader(request: ReceivedRequest, name: string): string | undefined {
  return request.headers[name]?.[0];
}

/** `20150830T123600Z` -> Date; undefined when it is not ISO 8601 basic format. */
function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const date = new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Date -> `20150830T123600Z`. */
export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** An HTTP `Date` header turned into the basic format, since AWS accepts it in place of `x-amz-date`. */
function fromHttpDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : formatAmzDate(date);
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fail(type: string, message: string): SigV4Verdict {
  return { ok: false, type, message };
}
