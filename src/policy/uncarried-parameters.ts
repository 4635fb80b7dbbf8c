// Data: the request parameters a route's wire cannot carry, per provider and API form, for `require_parameters`.
// Kept in step with the adapters by hand: when an adapter learns to carry (or starts refusing) a field, change it here.

/** Parameters one wire form loses: refused with a 400 by its adapter, or silently dropped from the upstream call. */
export interface UncarriedParameters {
  /** The wire form's name, for rejection details. */
  wire: string;
  provider: string;
  /** The route's `api`; `undefined` in the list matches routes that set none (the provider's default form). */
  apis: readonly (string | undefined)[];
  parameters: readonly string[];
}

/**
 * Every wire form that loses parameters. Forms not listed (OpenAI, Azure, Bedrock's and Vertex's OpenAI-compatible
 * endpoints) pass the body through, so they are taken to carry everything.
 */
export const UNCARRIED_PARAMETERS: readonly UncarriedParameters[] = [
  {
    // Bedrock Converse (the default Bedrock form). `reasoning_effort` is carried (additionalModelRequestFields); only a
    // route without the reasoning capability refuses it, which the capability already says. Refused: `n` > 1 and REFUSED_FIELDS in
    // src/providers/bedrock/convert-to-bedrock-converse-request.ts; dropped: the fields its JSDoc lists as ignored
    // (they change nothing in the answer, but the request set them and Converse has no field for them).
    wire: 'Bedrock Converse',
    provider: 'bedrock',
    apis: [undefined, 'converse'],
    parameters: [
      'n',
      'logprobs',
      'top_logprobs',
      'logit_bias',
      'audio',
      'modalities',
      'prediction',
      'frequency_penalty',
      'presence_penalty',
      'functions',
      'function_call',
      'web_search_options',
      'verbosity',
      'seed',
      'service_tier',
      'store',
      'metadata',
      'parallel_tool_calls',
      'prompt_cache_key',
      'safety_identifier',
      'user',
    ],
  },
];

/** The wire form a route of `provider` with API form `api` speaks and the parameters of `wanted` it cannot carry. */
export function findUncarriedParameters(provider: string, api: string | undefined, wanted: readonly string[]): { wire: string; lost: string[] } | null {
  const entry = UNCARRIED_PARAMETERS.find((candidate) => candidate.provider === provider && candidate.apis.includes(api));
  if (entry === undefined) return null;
  const lost = wanted.filter((parameter) => entry.parameters.includes(parameter));
  return lost.length === 0 ? null : { wire: entry.wire, lost };
}
