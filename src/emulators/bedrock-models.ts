// Data: the models the Bedrock emulator serves and the API paths AWS serves each one on, with the reasoning field each
// takes. One emulator port stands for both endpoints, so a path names the API and its base, not the host:
// bedrock-runtime's `/model/{id}/converse[-stream]` and `/model/{id}/invoke`, the `/openai/v1` base (bedrock-runtime's
// OpenAI-compatible base, and Mantle's for the models AWS serves there) and Mantle's `/v1` base.
// Sources: "OpenAI models" (docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-openai.html: gpt-oss ids
// `openai.gpt-oss-120b-1:0` / `-20b-1:0` on InvokeModel, Converse and Chat Completions; "Include any other fields in
// the additionalModelRequestFields object"; InvokeModel puts the reasoning in <reasoning> tags before the text);
// "Responses API" (.../inference-responses-api.html: Responses API access to GPT OSS models is Mantle-only, under `/v1`;
// on Mantle the prefix varies by model, and a request with the wrong prefix for a model is refused with
// "model `<model-id>` isn't supported on this route"); "Generate responses using OpenAI APIs" (.../bedrock-mantle.html:
// Mantle ids without the `-1:0` suffix, e.g. `openai.gpt-oss-120b`, Chat Completions and Responses under `/v1`);
// GPT-5.5 model card (.../model-card-openai-gpt-55.html, as quoted by aws-samples/sample-openai-on-aws#48,
// danny-avila/LibreChat#14635 and BerriAI/litellm#29490: `openai.gpt-5.5` on bedrock-mantle only, Responses API only,
// under `/openai/v1`; no Converse, InvokeModel or Chat Completions).

/** An API path the emulator serves, as `<base>/<operation>` (`converse` covers ConverseStream too). */
export type BedrockApiPath = 'converse' | 'invoke' | '/openai/v1/chat/completions' | '/openai/v1/responses' | '/v1/chat/completions' | '/v1/responses';

/** One model: its id as the paths above name it, where it is served, and how it is asked to reason. */
export interface BedrockModelSpec {
  id: string;
  paths: readonly BedrockApiPath[];
  /**
   * The `additionalModelRequestFields` member (Converse) or body field (InvokeModel, Chat Completions) that asks for
   * reasoning; a model without one reasons on no path of this emulator.
   */
  reasoningField?: 'reasoning_effort';
  /** Paths served although AWS does not document them, each with the reason; see BEDROCK_EMULATOR_MODELS. */
  undocumentedPaths?: readonly BedrockApiPath[];
}

const GPT_OSS_RUNTIME: readonly BedrockApiPath[] = ['converse', 'invoke', '/openai/v1/chat/completions'];
const GPT_OSS_MANTLE: readonly BedrockApiPath[] = ['/v1/chat/completions', '/v1/responses'];
const GPT_5_MANTLE: readonly BedrockApiPath[] = ['/openai/v1/responses'];
/**
 * Not documented for GPT-5.5 (its card lists the Responses API on Mantle only): Chat Completions on `/openai/v1`,
 * served because the demo catalog's Bedrock gpt-5.5 and gpt-5.6 routes call it; those routes need an adapter that
 * serves chat calls over the Responses API before this can go.
 */
const GPT_5_DEMO_CHAT: readonly BedrockApiPath[] = ['/openai/v1/chat/completions'];

/**
 * The models served unless told otherwise: gpt-oss-120b and -20b under their bedrock-runtime ids (`-1:0`) and their
 * Mantle ids, GPT-5.5 (`openai.gpt-5.5`), and the demo catalog's `openai.gpt-5.6`, given GPT-5.5's paths (the 2026
 * GPT-5.6 models are, like it, Responses-only on Mantle's `/openai/v1`: aws-samples/sample-spec-driven-presentation-maker#202).
 */
export const BEDROCK_EMULATOR_MODELS: readonly BedrockModelSpec[] = [
  { id: 'openai.gpt-oss-120b-1:0', paths: GPT_OSS_RUNTIME, reasoningField: 'reasoning_effort' },
  { id: 'openai.gpt-oss-20b-1:0', paths: GPT_OSS_RUNTIME, reasoningField: 'reasoning_effort' },
  { id: 'openai.gpt-oss-120b', paths: GPT_OSS_MANTLE, reasoningField: 'reasoning_effort' },
  { id: 'openai.gpt-oss-20b', paths: GPT_OSS_MANTLE, reasoningField: 'reasoning_effort' },
  { id: 'openai.gpt-5.5', paths: GPT_5_MANTLE, reasoningField: 'reasoning_effort', undocumentedPaths: GPT_5_DEMO_CHAT },
  { id: 'openai.gpt-5.6', paths: GPT_5_MANTLE, reasoningField: 'reasoning_effort', undocumentedPaths: GPT_5_DEMO_CHAT },
];

/** Where `path` serves `model`: `served`, or `unknown` (no such model) or `other-path` (served elsewhere). */
export function findBedrockModelPath(models: readonly BedrockModelSpec[], modelId: string, path: BedrockApiPath): 'served' | 'unknown' | 'other-path' {
  const model = models.find((candidate) => candidate.id === modelId);
  if (model === undefined) return 'unknown';
  return model.paths.includes(path) || (model.undocumentedPaths?.includes(path) ?? false) ? 'served' : 'other-path';
}
