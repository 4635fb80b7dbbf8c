// Embeddings as a service: one call over the model's routes, its usage committed before the answer is returned.
import { deriveEmbeddingNeeds } from '../policy/index.ts';
import type { EmbeddingRequest, EmbeddingResponse } from '../wire/index.ts';
import { withAnswerModel } from './answer-model.ts';
import type { CallContext, CallServices } from './call-context.ts';
import { type CallInfo, runModelCall } from './run-model-call.ts';

/** An embeddings request as the core takes it. */
export interface EmbeddingsCall {
  request: EmbeddingRequest;
  fallbackModels?: readonly string[] | undefined;
  preferences?: unknown;
}

/** A completed embeddings call. */
export interface EmbeddingsCallResult {
  info: CallInfo;
  response: EmbeddingResponse;
  /** The answer's bytes: the cloud's own when they can be sent unchanged, else the response serialised. */
  body: Uint8Array;
}

/** Runs an embeddings request; the usage event is committed before this resolves. */
export function createEmbeddings(services: CallServices, context: CallContext, call: EmbeddingsCall): Promise<EmbeddingsCallResult> {
  const { request } = call;
  const input = {
    kind: 'embedding' as const,
    endpoint: 'embeddings',
    model: request.model,
    fallbackModels: call.fallbackModels,
    preferences: call.preferences,
    needs: deriveEmbeddingNeeds(request),
  };
  return runModelCall(
    services,
    context,
    input,
    (routes, options) => services.executor.embeddings(request, routes, options),
    async (open) => {
      const { response, passthroughBody } = open.executed.value;
      const usage = { input_tokens: response.usage.prompt_tokens, cached_tokens: 0, output_tokens: 0 };
      await open.complete({ usage, estimated: false, status: 200 });
      // The catalog's model, whichever cloud answered: one value edited in the cloud's bytes, every other byte kept.
      const model = open.info.model;
      const edited = passthroughBody === undefined || response.model === model ? passthroughBody : withAnswerModel(passthroughBody, model);
      response.model = model;
      return { info: open.info, response, body: edited ?? Buffer.from(JSON.stringify(response)) };
    },
  );
}
