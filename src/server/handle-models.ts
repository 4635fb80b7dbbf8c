// GET /v1/models and GET /v1/models/{id}: the catalog's models in OpenAI's shape.
import type { ModelEntry } from '../catalog/index.ts';
import { excerpt, NotFoundError, type ModelList, type ModelObject } from '../wire/index.ts';
import type { Exchange, GatewayContext, HttpResult } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';

/** Lists every model (and alias) a caller can name. */
export async function handleListModels(gateway: GatewayContext, _exchange: Exchange): Promise<HttpResult> {
  const data: ModelObject[] = [];
  for (const model of gateway.catalog.models) {
    data.push(toModelObject(model, model.id));
    for (const alias of model.aliases) data.push(toModelObject(model, alias));
  }
  const list: ModelList = { object: 'list', data };
  return jsonResult(200, list);
}

/** One model by id or alias. */
export async function handleGetModel(gateway: GatewayContext, _exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const name = params.rest ?? '';
  const found = gateway.catalog.findModel(name);
  if (found === undefined) {
    throw new NotFoundError(`The model '${excerpt(name)}' does not exist`, 'model_not_found', 'model');
  }
  return jsonResult(200, toModelObject(found.model, name));
}

function toModelObject(model: ModelEntry, id: string): ModelObject {
  const created = model.released === undefined ? 0 : Math.floor(Date.parse(model.released) / 1000);
  return { id, object: 'model', created, owned_by: model.owned_by };
}
