// GET /v1/models and GET /v1/models/{id}: the catalog's models in OpenAI's shape, or in Anthropic's for a caller that
// sends `anthropic-version` (Anthropic's clients always do).
import type { ModelEntry } from '../catalog/index.ts';
import { excerpt, type MessagesModelInfo, type MessagesModelList, type ModelList, type ModelObject, NotFoundError } from '../wire/index.ts';
import type { Exchange, GatewayContext, HttpResult } from './gateway-types.ts';
import { jsonResult } from './http-result.ts';

/** Lists every model (and alias) a caller can name. */
export async function handleListModels(gateway: GatewayContext, exchange: Exchange): Promise<HttpResult> {
  const names: { model: ModelEntry; id: string }[] = [];
  for (const model of gateway.catalog.models) {
    names.push({ model, id: model.id });
    for (const alias of model.aliases) names.push({ model, id: alias });
  }
  if (speaksAnthropic(exchange)) {
    const data = names.map(({ model, id }) => toModelInfo(model, id));
    const list: MessagesModelList = { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
    return jsonResult(200, list);
  }
  const list: ModelList = { object: 'list', data: names.map(({ model, id }) => toModelObject(model, id)) };
  return jsonResult(200, list);
}

/** One model by id or alias. */
export async function handleGetModel(gateway: GatewayContext, exchange: Exchange, params: Record<string, string>): Promise<HttpResult> {
  const name = params.rest ?? '';
  const found = gateway.catalog.findModel(name);
  if (found === undefined) {
    throw new NotFoundError(`The model '${excerpt(name)}' does not exist`, 'model_not_found', 'model');
  }
  return jsonResult(200, speaksAnthropic(exchange) ? toModelInfo(found.model, name) : toModelObject(found.model, name));
}

function speaksAnthropic(exchange: Exchange): boolean {
  return exchange.req.headers['anthropic-version'] !== undefined;
}

function toModelObject(model: ModelEntry, id: string): ModelObject {
  const created = model.released === undefined ? 0 : Math.floor(Date.parse(model.released) / 1000);
  return { id, object: 'model', created, owned_by: model.owned_by };
}

function toModelInfo(model: ModelEntry, id: string): MessagesModelInfo {
  const created = model.released === undefined ? 0 : Date.parse(model.released);
  return { type: 'model', id, display_name: id, created_at: new Date(Number.isNaN(created) ? 0 : created).toISOString().replace(/\.\d{3}Z$/, 'Z') };
}
