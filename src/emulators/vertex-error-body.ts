// Vertex AI's error bodies: Google API errors `{"error": {"code", "message", "status", "details"?}}`, word for word where
// public reports quote them, and Google's front-end 404 page for unknown paths.
// Sources: Google AIP-193 / https://cloud.google.com/apis/design/errors (shape, canonical status per HTTP code,
// `google.rpc.ErrorInfo`); 401 texts and ErrorInfo reasons: "Request had invalid authentication credentials..." with
// ACCESS_TOKEN_EXPIRED (googleapis/python-api-core#384), "API keys are not supported by this API..." with
// CREDENTIALS_MISSING and the aiplatform `metadata` (a2aproject/a2a-samples#43); 403 "Permission
// 'aiplatform.endpoints.predict' denied on resource ... (or it may not exist)." (rpurinton/gemini-php#4,
// BerriAI/litellm#8597); 404 "Publisher Model `...` was not found or your project does not have access to it..."
// (truefoundry/models#946); 429 "Resource exhausted. Please try again later. Please refer to
// https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details." answered as a one-element
// JSON array (continuedev/continue#8967, google-gemini/gemini-cli#14811). Approximations, marked below: the missing
// credential text, the unknown-location error. The 404 page is the one Google's front end serves for any unknown URL.

/** A Google API error body. */
export interface GoogleApiErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}

/** Builds a Google API error body. */
export function googleApiError(code: number, status: string, message: string, details?: unknown[]): GoogleApiErrorBody {
  return { error: { code, message, status, ...(details !== undefined && { details }) } };
}

/** The canonical status Google pairs with an HTTP status. */
export function googleStatusForHttp(status: number): string {
  switch (status) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'ABORTED';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 499:
      return 'CANCELLED';
    case 501:
      return 'UNIMPLEMENTED';
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

/** The RPC name the OpenAI-compatible methods report in `ErrorInfo.metadata.method`. */
function rpcMethod(version: string, operation: 'chat' | 'embeddings'): string {
  return `google.cloud.aiplatform.${version}.PredictionService.${operation === 'chat' ? 'ChatCompletions' : 'Embeddings'}`;
}

function errorInfo(reason: string, version: string, operation: 'chat' | 'embeddings'): unknown[] {
  return [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason,
      domain: 'googleapis.com',
      metadata: { service: 'aiplatform.googleapis.com', method: rpcMethod(version, operation) },
    },
  ];
}

const SIGN_IN = 'See https://developers.google.com/identity/sign-in/web/devconsole-project.';

/** Why a request carried no usable OAuth token. */
export type VertexAuthFailure = 'missing' | 'api-key' | 'unknown' | 'expired';

/** 401 for a missing, unknown or expired access token, or an API key (Vertex takes OAuth tokens only). */
export function vertexUnauthenticatedError(failure: VertexAuthFailure, version: string, operation: 'chat' | 'embeddings'): GoogleApiErrorBody {
  switch (failure) {
    case 'api-key':
      return googleApiError(
        401,
        'UNAUTHENTICATED',
        'API keys are not supported by this API. Expected OAuth2 access token or other authentication credentials that assert a principal. See ' +
          'https://cloud.google.com/docs/authentication',
        errorInfo('CREDENTIALS_MISSING', version, operation),
      );
    case 'missing':
      // Approximation: the wording Google APIs use for a request without any credential.
      return googleApiError(
        401,
        'UNAUTHENTICATED',
        'Request is missing required authentication credential. ' +
          `Expected OAuth 2 access token, login cookie or other valid authentication credential. ${SIGN_IN}`,
        errorInfo('CREDENTIALS_MISSING', version, operation),
      );
    case 'unknown':
    case 'expired':
      return googleApiError(
        401,
        'UNAUTHENTICATED',
        `Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. ${SIGN_IN}`,
        errorInfo(failure === 'expired' ? 'ACCESS_TOKEN_EXPIRED' : 'ACCESS_TOKEN_TYPE_UNSUPPORTED', version, operation),
      );
  }
}

/** 403 for a token whose scopes do not cover Vertex AI. */
export function vertexInsufficientScopesError(version: string, operation: 'chat' | 'embeddings'): GoogleApiErrorBody {
  return googleApiError(
    403,
    'PERMISSION_DENIED',
    'Request had insufficient authentication scopes.',
    errorInfo('ACCESS_TOKEN_SCOPE_INSUFFICIENT', version, operation),
  );
}

/** 403 for a project the caller may not use (or that does not exist: Google does not tell which). */
export function vertexPermissionDeniedError(project: string, location: string): GoogleApiErrorBody {
  const resource = `projects/${project}/locations/${location}/endpoints/openapi`;
  return googleApiError(
    403,
    'PERMISSION_DENIED',
    `Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform.googleapis.com/${resource}' (or it may not exist).`,
    [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: 'aiplatform.googleapis.com',
        metadata: { permission: 'aiplatform.endpoints.predict', resource },
      },
    ],
  );
}

/** 404 for a location Vertex AI does not serve (approximation: the exact text is not publicly quoted). */
export function vertexUnknownLocationError(location: string): GoogleApiErrorBody {
  return googleApiError(404, 'NOT_FOUND', `Location \`${location}\` is not supported for Vertex AI.`);
}

/** 404 for a model id the project cannot use at this location; `model` is `publisher/name` as sent. */
export function vertexModelNotFoundError(project: string, location: string, model: string): GoogleApiErrorBody {
  const slash = model.indexOf('/');
  const publisher = slash === -1 ? 'google' : model.slice(0, slash);
  const name = slash === -1 ? model : model.slice(slash + 1);
  return googleApiError(
    404,
    'NOT_FOUND',
    `Publisher Model \`projects/${project}/locations/${location}/publishers/${publisher}/models/${name}\` was not found or your project does not ` +
      'have access to it. Please ensure you are using a valid model version. For more information, see: ' +
      'https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions',
  );
}

/** 400 for a body Vertex cannot use; `message` describes the problem. */
export function vertexInvalidArgumentError(message: string): GoogleApiErrorBody {
  return googleApiError(400, 'INVALID_ARGUMENT', message);
}

/** 400 for a body that is not JSON (Google's JSON parser wording). */
export function vertexInvalidJsonError(): GoogleApiErrorBody {
  return vertexInvalidArgumentError('Invalid JSON payload received. Unexpected token.');
}

/**
 * The body Vertex answers an injected fault `status` with. A 429 comes as a one-element JSON array, as Vertex sends
 * RESOURCE_EXHAUSTED in the reports cited above; every other status comes bare.
 */
export function vertexFaultError(status: number): GoogleApiErrorBody | GoogleApiErrorBody[] {
  switch (status) {
    case 429:
      return [
        googleApiError(
          429,
          'RESOURCE_EXHAUSTED',
          'Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.',
        ),
      ];
    case 400:
      return googleApiError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.');
    case 500:
      return googleApiError(500, 'INTERNAL', 'Internal error encountered.');
    case 503:
      return googleApiError(503, 'UNAVAILABLE', 'The service is currently unavailable.');
    case 504:
      return googleApiError(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.');
    default:
      return googleApiError(status, googleStatusForHttp(status), `Emulated HTTP ${status} fault.`);
  }
}

/** Google's front-end page for a path no API serves (the body clients see for a wrong URL). */
export function googleNotFoundPage(path: string): string {
  const shown = path.replace(/[<>&"]/g, '');
  return (
    '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n' +
    `  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL <code>${shown}</code> was not found on this server.  <ins>That’s all we know.</ins>\n`
  );
}
