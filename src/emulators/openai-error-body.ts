// OpenAI's error bodies, word for word where known: `{"error": {"message", "type", "param", "code"}}`.
// Sources: OpenAI API reference "Error codes" (https://platform.openai.com/docs/guides/error-codes) and bodies
// quoted in public issue threads: 401 invalid_api_key with the masked key (openai-python, popjane/free_chatgpt_api#3),
// 429 `requests`/`rate_limit_exceeded`, 502 `cf_bad_gateway` (stanfordnlp/dspy#203), 503 "The server is
// overloaded or not ready yet.".

/** OpenAI's error JSON. */
export interface OpenAIErrorBody {
  error: { message: string; type: string | null; param: string | null; code: string | number | null };
}

/** Builds an OpenAI error body. */
export function openAIError(
  message: string,
  type: string | null = 'invalid_request_error',
  param: string | null = null,
  code: string | number | null = null,
): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** Masks a key the way OpenAI echoes it: first 8 and last 4 characters, stars between. */
export function maskOpenAIKey(key: string): string {
  if (key.length <= 12) return key;
  return `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
}

/** 401 for a key that is not known. */
export function openAIInvalidKeyError(key: string): OpenAIErrorBody {
  return openAIError(
    `Incorrect API key provided: ${maskOpenAIKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    'invalid_request_error',
    null,
    'invalid_api_key',
  );
}

/** 401 when no `Authorization: Bearer` header was sent. */
export function openAIMissingKeyError(): OpenAIErrorBody {
  return openAIError(
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth " +
      "(i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the " +
      'API from your browser and are prompted for a username and password. You can obtain an API key from ' +
      'https://platform.openai.com/account/api-keys.',
  );
}

/** 404 for a model that does not exist (or is not visible to the key). */
export function openAIModelNotFoundError(model: string): OpenAIErrorBody {
  return openAIError(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found');
}

/** 400 for a body that is not JSON. */
export function openAIInvalidJsonError(): OpenAIErrorBody {
  return openAIError(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library " +
      'correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble ' +
      'figuring out how to fix this, please contact us through our help center at help.openai.com.)',
  );
}

/** 404 for a path OpenAI does not serve. */
export function openAIInvalidUrlError(method: string, path: string): OpenAIErrorBody {
  return openAIError(`Invalid URL (${method} ${path})`);
}

/** The body OpenAI answers an injected fault `status` with. */
export function openAIFaultError(status: number, model: string, retryAfterSeconds: number): OpenAIErrorBody {
  switch (status) {
    case 429:
      return openAIError(
        `Rate limit reached for ${model} in organization org-crossway-emulator on requests per min (RPM): ` +
          `Limit 500, Used 500, Requested 1. Please try again in ${retryAfterSeconds}s. ` +
          'Visit https://platform.openai.com/account/rate-limits to learn more.',
        'requests',
        null,
        'rate_limit_exceeded',
      );
    case 500:
      return openAIError('The server had an error while processing your request. Sorry about that!', 'server_error');
    case 502:
      return { error: { code: 502, message: 'Bad gateway.', param: null, type: 'cf_bad_gateway' } };
    case 503:
      return openAIError('The server is overloaded or not ready yet.', 'server_error');
    case 504:
      return { error: { code: 504, message: 'Gateway timeout.', param: null, type: 'cf_gateway_timeout' } };
    default:
      return openAIError(`Emulated HTTP ${status} fault.`, status >= 500 ? 'server_error' : 'invalid_request_error');
  }
}
