// AWS Signature Version 4 for Bedrock routes: signs the exact request that will be sent (method, URL with its
// host, headers, body) with @smithy/signature-v4, using static keys from the route or the AWS SDK's default
// credential chain, created once per route on first use (the SDK's provider caches and refreshes credentials).
// Sources: AWS IAM user guide "Create a signed AWS API request" (docs.aws.amazon.com/IAM/latest/UserGuide/
// create-signed-request.html): the canonical URI of every service but S3 URI-encodes each path segment again, so a
// model id sent as `openai.gpt-oss-120b-1%3A0` is signed as `openai.gpt-oss-120b-1%253A0`. @smithy/signature-v4 does
// exactly that with `uriEscapePath: true` (the default): SignatureV4Base.getCanonicalPath escapes the given,
// already-encoded path once more; botocore does the same (auth.py SigV4Auth._normalize_url_path quotes the URL's
// path with safe='/~'). So the signer is given the path as it travels. botocore `bedrock-runtime` service-2.json:
// signingName `bedrock`; @aws-sdk/credential-providers `fromNodeProviderChain` (memoized default chain).
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Route, RouteAuth } from '../../catalog/index.ts';
import { UpstreamError } from '../../wire/index.ts';
import type { Authenticator, UpstreamRequest } from '../provider-adapter.ts';
import { routeConfigurationError } from '../route-configuration-error.ts';
import { abortable } from '../cached-token.ts';

type SigV4Auth = Extract<RouteAuth, { type: 'sigv4' }>;

/** AWS credentials as the signer takes them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** Test seams for the SigV4 authenticator. */
export interface SigV4AuthDeps {
  /** Credentials (or a provider of them) instead of the route's keys or the AWS default chain. */
  awsCredentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  /** The signing time; the current time by default. */
  signingDate?: () => Date;
}

/** Headers the signer writes; any copy already on the request (e.g. from route headers) is dropped first. */
const SIGNING_HEADERS = new Set(['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', 'host']);

/**
 * An Authenticator that signs each request with SigV4 for service `auth.service` (default `bedrock`) in region
 * `auth.region ?? route.region` (a route left at the default region `global` takes the region from its endpoint's
 * host name, e.g. `bedrock-runtime.us-west-2.amazonaws.com`). Credentials: `access_key_id` + `secret_access_key`
 * (+ `session_token`) when the route gives them, else `fromNodeProviderChain({profile})` (environment, shared
 * config and credentials files, SSO, web identity, container and instance roles), created on the first call and
 * reused. Adds `host`, `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (temporary credentials) and
 * `authorization`; the URL and body are never changed. Failures are retryable UpstreamErrors naming the route.
 */
export function createSigV4Authenticator(route: Route, auth: SigV4Auth, deps: SigV4AuthDeps = {}): Authenticator {
  let signer: SignatureV4 | null = null;

  function getSigner(): SignatureV4 {
    signer ??= new SignatureV4({
      service: auth.service,
      region: resolveSigningRegion(route, auth),
      credentials: resolveCredentials(route, auth, deps),
      sha256: Sha256,
      uriEscapePath: true,
    });
    return signer;
  }

  return {
    async authorize(request, signal) {
      signal?.throwIfAborted();
      const url = new URL(request.url);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (!SIGNING_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
      }
      // The Host header undici sends is the URL's host (with a non-default port); it is signed and sent explicitly.
      headers.host = url.host;
      const signing = getSigner().sign(
        {
          method: request.method,
          protocol: url.protocol,
          hostname: url.hostname,
          ...(url.port === '' ? {} : { port: Number(url.port) }),
          path: url.pathname,
          query: readQuery(url),
          headers,
          ...(request.body === undefined ? {} : { body: request.body }),
        },
        deps.signingDate === undefined ? {} : { signingDate: deps.signingDate() },
      );
      let signed: Awaited<typeof signing>;
      try {
        signed = await abortable(signing, signal);
      } catch (error) {
        if (signal?.aborted === true || error instanceof UpstreamError) throw error;
        throw signingError(route, error);
      }
      return { ...request, headers: { ...signed.headers } } satisfies UpstreamRequest;
    },
  };
}

/** `auth.region`, else `route.region`, else (for the default `global`) the region in the endpoint's host name. */
export function resolveSigningRegion(route: Route, auth: SigV4Auth): string {
  const region = auth.region ?? route.region;
  if (region !== 'global') return region;
  // bedrock-runtime.<region>.amazonaws.com, bedrock-runtime-fips.<region>.amazonaws.com, bedrock-mantle.<region>.api.aws
  const labels = new URL(route.endpoint).hostname.split('.');
  if (labels.length >= 4 && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(labels[1] ?? '')) return labels[1]!;
  throw routeConfigurationError(route, "SigV4 needs a region: set the route's region or auth.region");
}

function resolveCredentials(route: Route, auth: SigV4Auth, deps: SigV4AuthDeps): AwsCredentials | (() => Promise<AwsCredentials>) {
  if (deps.awsCredentials !== undefined) return deps.awsCredentials;
  const accessKeyId = auth.access_key_id?.reveal();
  const secretAccessKey = auth.secret_access_key?.reveal();
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    const sessionToken = auth.session_token?.reveal();
    return sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
  }
  if (accessKeyId !== undefined || secretAccessKey !== undefined) {
    throw routeConfigurationError(route, 'SigV4 auth needs both access_key_id and secret_access_key (or neither, for the default chain)');
  }
  // The default chain, loaded on first use so that routes without SigV4 never pay for the AWS SDK; the provider
  // memoizes credentials and refreshes them before they expire.
  let provider: Promise<() => Promise<AwsCredentials>> | null = null;
  return async () => {
    provider ??= import('@aws-sdk/credential-providers').then(({ fromNodeProviderChain }) =>
      fromNodeProviderChain(auth.profile === undefined ? {} : { profile: auth.profile }),
    );
    return (await provider)();
  };
}

function readQuery(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const existing = query[name];
    query[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}

function signingError(route: Route, cause: unknown): UpstreamError {
  // The SDK's credential messages name providers and files, never key material; the cause is not attached, since
  // it may hold request details.
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new UpstreamError(`Could not sign the request with AWS credentials: ${reason}`, {
    route: route.id,
    status: 502,
    code: 'upstream_auth_failed',
    type: 'server_error',
    retryable: true,
  });
}
