// Azure OpenAI's own error bodies, word for word as public reports quote them, and its content-filter annotations.
// Sources: 401 key body (SciSharp/BotSharp#386), 401 Entra token body (Azure-Samples/azure-search-openai-demo#458),
// 404 "Resource not found" for a missing or unknown api-version on the deployments form (MicrosoftDocs/azure-docs#114602,
// microsoft/azurechat#426), 400 "API version not supported" on the v1 form (hotovo/aider-desk#460),
// DeploymentNotFound (chatboxai/chatbox#646), 429 call-rate message (weaviate/weaviate#3095), 400 content_filter with
// ResponsibleAIPolicyViolation (microsoft/TinyTroupe#85), content-filter annotations in
// https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter.

/** Azure's gateway error shape: `{"error": {"code", "message"}}`. */
export interface AzureErrorBody {
  error: { code: string; message: string };
}

function azureError(code: string, message: string): AzureErrorBody {
  return { error: { code, message } };
}

/** 401 for a missing or unknown `api-key`. */
export function azureInvalidKeyError(): AzureErrorBody {
  return azureError(
    '401',
    'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an ' +
      'active subscription and use a correct regional API endpoint for your resource.',
  );
}

/** 401 for an unknown Entra ID bearer token; note Azure answers this one in a different shape. */
export function azureInvalidTokenError(): { statusCode: number; message: string } {
  return {
    statusCode: 401,
    message: 'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.',
  };
}

/** 404 for an unknown path, and for a missing or unsupported api-version on the deployments form. */
export function azureResourceNotFoundError(): AzureErrorBody {
  return azureError('404', 'Resource not found');
}

/** 400 for an api-version the v1 form does not take. */
export function azureApiVersionNotSupportedError(): AzureErrorBody {
  return azureError('BadRequest', 'API version not supported');
}

/** 404 for a deployment name the resource does not have. */
export function azureDeploymentNotFoundError(): AzureErrorBody {
  return azureError(
    'DeploymentNotFound',
    'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
  );
}

/** 400 when a deployment's model cannot do the operation (chat on an embedding model or the reverse). */
export function azureOperationNotSupportedError(operation: 'chatCompletion' | 'embeddings' | 'responses', model: string): AzureErrorBody {
  return azureError(
    'OperationNotSupported',
    `The ${operation} operation does not work with the specified model, ${model}. Please choose different model and try again. ` +
      'You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.',
  );
}

/** The body Azure answers an injected fault `status` with. */
export function azureFaultError(status: number, operation: string, apiVersion: string, retryAfterSeconds: number): AzureErrorBody {
  switch (status) {
    case 429:
      return azureError(
        '429',
        `Requests to the ${operation} Operation under Azure OpenAI API version ${apiVersion} have exceeded call rate limit ` +
          `of your current OpenAI S0 pricing tier. Please retry after ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}. ` +
          'Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.',
      );
    case 500:
      return azureError('500', 'The server had an error while processing your request. Sorry about that!');
    case 503:
      return azureError('503', 'The service is temporarily unable to process your request. Please try again later.');
    default:
      return azureError(String(status), `Emulated HTTP ${status} fault.`);
  }
}

const SAFE = { filtered: false, severity: 'safe' } as const;

/** Per-choice annotation of unfiltered content: the four harm categories, all safe. */
export function azureSafeContentFilterResults(): Record<string, unknown> {
  return { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
}

/** Top-level `prompt_filter_results` of an unfiltered prompt. */
export function azurePromptFilterResults(): Record<string, unknown>[] {
  return [
    {
      prompt_index: 0,
      content_filter_results: { ...azureSafeContentFilterResults(), jailbreak: { filtered: false, detected: false } },
    },
  ];
}

/** 400 for a prompt the content filter blocks (the emulator blocks prompts with the `[[content-filter]]` marker). */
export function azureContentFilterError(): Record<string, unknown> {
  return {
    error: {
      message:
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify " +
        'your prompt and retry. To learn more about our content filtering policies please read our documentation: ' +
        'https://go.microsoft.com/fwlink/?linkid=2198766',
      type: null,
      param: 'prompt',
      code: 'content_filter',
      status: 400,
      innererror: {
        code: 'ResponsibleAIPolicyViolation',
        content_filter_result: {
          hate: SAFE,
          jailbreak: { filtered: false, detected: false },
          self_harm: SAFE,
          sexual: SAFE,
          violence: { filtered: true, severity: 'high' },
        },
      },
    },
  };
}
