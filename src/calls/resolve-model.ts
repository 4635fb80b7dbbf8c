// Finds the routes of the model a request names, in OpenAI's words when there is none.
import type { Catalog, ModelEntry, Route } from '../catalog/index.ts';
import { excerpt, InvalidRequestError, NotFoundError } from '../wire/index.ts';

/** The model and its routes; 404 for an unknown model, 400 when it cannot serve this endpoint. */
export function resolveModel(catalog: Catalog, name: string, kind: ModelEntry['kind']): { model: ModelEntry; routes: Route[] } {
  const found = catalog.findModel(name);
  if (found === undefined) {
    throw new NotFoundError(`The model \`${excerpt(name)}\` does not exist or you do not have access to it.`, 'model_not_found', 'model');
  }
  if (found.model.kind !== kind) {
    const what = kind === 'chat' ? 'chat completions' : 'embeddings';
    throw new InvalidRequestError(`The model \`${excerpt(name)}\` does not support ${what}.`, 'model', 'model_not_supported');
  }
  return found;
}
