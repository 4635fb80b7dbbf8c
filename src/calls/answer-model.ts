// The model an answer names: the catalog's, the same whichever cloud served it, and the cloud's own id beside it
// (issue 19: `gpt-5.5` answered `gpt-5.5-2026-04-23` on one route and `openai.gpt-5.5` on another).
import type { Catalog, Route } from '../catalog/index.ts';
import { replaceJsonModel } from '../providers/index.ts';

/**
 * The `model` a client is answered with for a call served by `route`: its catalog model's dated `snapshot` when the
 * catalog declares one (as OpenAI answers `gpt-4o` with `gpt-4o-2024-08-06`), else the model's id (never an alias).
 */
export function answerModelOf(catalog: Pick<Catalog, 'findModel'>, route: Route): string {
  const model = catalog.findModel(route.model)?.model;
  return model?.snapshot ?? model?.id ?? route.model;
}

/** The model id the route's cloud is asked for (`x-crossway-upstream-model`): its deployment, else the model's id. */
export function upstreamModelOf(route: Route): string {
  return route.deployment ?? route.model;
}

const decoder = new TextDecoder();

/**
 * A passed-through JSON answer (a chat completion, an embeddings list) naming `model` instead of the cloud's id: the
 * same bytes when it already does, else the text with that one value replaced (every other byte kept).
 */
export function withAnswerModel(body: Uint8Array, model: string): Uint8Array {
  const text = decoder.decode(body);
  const replaced = replaceJsonModel(text, model);
  return replaced === text ? body : Buffer.from(replaced);
}
