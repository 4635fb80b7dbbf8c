// Bedrock's two ways in: a Bedrock API key as `Authorization: Bearer` (https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html)
// or a SigV4 signature with signing name `bedrock` (botocore bedrock-runtime service-2.json: signingName), answered with
// AWS's own 403 bodies when they fail. "Missing Authentication Token" is API Gateway's and AWS front ends' body for a
// request without credentials; "Authentication failed: Please make sure your API Key is valid." with a capital
// `Message` key is Bedrock's answer to an unknown API key as quoted in ai4s-research/open-science#53 (error type not
// quoted there; AccessDeniedException is our choice).
import type { IncomingMessage } from 'node:http';
import { AWS_AUTH_ERROR_NAMESPACE, bedrockError } from './bedrock-error-body.ts';
import { verifySigV4 } from './bedrock-sigv4-verifier.ts';
import type { AwsCredential } from './bedrock-sigv4-verifier.ts';
import type { EmulatorReply } from './emulator-server.ts';

/** Who may call the emulated account. */
export interface BedrockAuthPolicy {
  apiKeys: ReadonlySet<string>;
  credentials: readonly AwsCredential[];
  /** Regions a SigV4 scope may name; undefined accepts any well-formed region. */
  regions?: readonly string[];
  now: Date;
}

/** Checks the request's credentials; undefined when they are good, else the 403 AWS answers with. */
export function authenticateBedrockRequest(request: IncomingMessage, body: Uint8Array, policy: BedrockAuthPolicy): EmulatorReply | undefined {
  const authorization = request.headers.authorization;
  if (authorization === undefined || authorization.trim() === '') {
    return authError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const bearer = /^Bearer\s+(.*)$/i.exec(authorization);
  if (bearer !== null) {
    const key = (bearer[1] ?? '').trim();
    if (policy.apiKeys.has(key)) return undefined;
    return bedrockError(403, 'AccessDeniedException', 'Authentication failed: Please make sure your API Key is valid.', {
      namespace: AWS_AUTH_ERROR_NAMESPACE,
      messageKey: 'Message',
    });
  }
  const verdict = verifySigV4(
    { method: request.method ?? 'GET', target: request.url ?? '/', headers: request.headersDistinct, body },
    { credentials: policy.credentials, service: 'bedrock', regions: policy.regions, now: policy.now },
  );
  return verdict.ok ? undefined : authError(verdict.type, verdict.message);
}

function authError(type: string, message: string): EmulatorReply {
  return bedrockError(403, type, message, { namespace: AWS_AUTH_ERROR_NAMESPACE });
}
