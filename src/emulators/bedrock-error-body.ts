// Amazon Bedrock's error answers: `{"message": ...}` with the error type in `x-amzn-errortype`, as AWS's rest-json
// protocol sends them. Service errors carry the `com.amazon.bedrock` namespace, errors of AWS's shared authentication
// layer the `com.amazon.coral.service` one (both as seen in x-amzn-errortype headers quoted in public reports, e.g.
// aws-samples/amazon-bedrock-client-for-mac#112). Types and statuses: botocore's bedrock-runtime service-2.json
// (2023-09-30). Messages, word for word where known: "Too many requests, please wait before trying again."
// (ThrottlingException), "The provided model identifier is invalid." (ValidationException, e.g. RooCodeInc/Roo-Code#9182),
// "Bedrock is unable to process your request." (ServiceUnavailableException), "The system encountered an unexpected
// error during processing. Try your request again." (InternalServerException), "This model version has reached the end
// of its life. ..." (ResourceNotFoundException), "You don't have access to the model with the specified model ID."
// (AccessDeniedException), all as quoted in public code and issues. The ServiceQuotaExceededException text comes from
// third-party test fixtures only; the ones marked approximate below are not quoted anywhere public we could find.
import type { EmulatorReply } from './emulator-server.ts';

/** Namespace of Bedrock's own errors in `x-amzn-errortype`. */
export const BEDROCK_ERROR_NAMESPACE = 'com.amazon.bedrock';
/** Namespace of AWS's authentication-layer errors (missing token, bad signature, unknown key). */
export const AWS_AUTH_ERROR_NAMESPACE = 'com.amazon.coral.service';

const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
  ResourceNotFoundException: 'This model version has reached the end of its life. Please refer to the AWS documentation for more details.',
  ThrottlingException: 'Too many requests, please wait before trying again.',
  // Approximate.
  ModelTimeoutException: 'Model has timed out in processing the request. Try your request again.',
  InternalServerException: 'The system encountered an unexpected error during processing. Try your request again.',
  ServiceUnavailableException: 'Bedrock is unable to process your request.',
  ValidationException: 'Malformed input request, please reformat your input and try again.',
  // Approximate.
  ModelNotReadyException: 'Model is not ready for inference. Wait and try your request again.',
  // Approximate.
  ModelErrorException: 'The model encountered an error while processing your request. Try your request again.',
  ServiceQuotaExceededException: 'Too many tokens per day, please wait before trying again.',
  // Approximate.
  ModelStreamErrorException: 'The model encountered an error while streaming the response. Try your request again.',
};

/** The error type Bedrock answers a status with when nothing more specific applies. */
function defaultErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'ValidationException';
    case 403:
      return 'AccessDeniedException';
    case 404:
      return 'ResourceNotFoundException';
    case 408:
      return 'ModelTimeoutException';
    case 424:
      return 'ModelErrorException';
    case 429:
      return 'ThrottlingException';
    case 503:
      return 'ServiceUnavailableException';
    default:
      return status >= 500 ? 'InternalServerException' : 'ValidationException';
  }
}

/** The `x-amzn-errortype` value: `<Type>:http://internal.amazon.com/coral/<namespace>/`. */
export function formatAwsErrorType(type: string, namespace = BEDROCK_ERROR_NAMESPACE): string {
  return `${type}:http://internal.amazon.com/coral/${namespace}/`;
}

/** A Bedrock error answer; `messageKey` is `Message` for the few errors AWS spells that way. */
export function bedrockError(
  status: number,
  type: string,
  message: string,
  options: { namespace?: string; messageKey?: 'message' | 'Message' } = {},
): EmulatorReply {
  return {
    status,
    headers: { 'x-amzn-errortype': formatAwsErrorType(type, options.namespace) },
    body: { [options.messageKey ?? 'message']: message },
  };
}

/** 400 ValidationException with `message`. */
export function bedrockValidationError(message: string): EmulatorReply {
  return bedrockError(400, 'ValidationException', message);
}

/** 400 for a model id the account cannot use or that does not exist. */
export function bedrockInvalidModelError(): EmulatorReply {
  return bedrockValidationError('The provided model identifier is invalid.');
}

/** The answer to an injected fault `status`, typed `errorCode` when given (e.g. 400 ServiceQuotaExceededException). */
export function bedrockFaultError(status: number, errorCode?: string): EmulatorReply {
  const type = errorCode ?? defaultErrorType(status);
  return bedrockError(status, type, DEFAULT_MESSAGES[type] ?? `Emulated HTTP ${status} fault.`);
}

/** Payload of an in-stream exception event (`:exception-type` is the camel-cased member name). */
export function bedrockStreamExceptionPayload(exceptionType: string): { message: string; originalStatusCode?: number } {
  const type = exceptionType.charAt(0).toUpperCase() + exceptionType.slice(1);
  const message = DEFAULT_MESSAGES[type] ?? 'The system encountered an unexpected error during processing. Try your request again.';
  // ModelStreamErrorException also carries the model's own status (service-2.json).
  return type === 'ModelStreamErrorException' ? { message, originalStatusCode: 500 } : { message };
}
