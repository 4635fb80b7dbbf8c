// The adapters by provider name. A new wire protocol (Bedrock Converse, Vertex) adds its folder and one entry here;
// the Record over the catalog's provider names makes a missing entry a type error.
import type { Route } from '../catalog/index.ts';
import { azureAdapter } from './azure/index.ts';
import { bedrockAdapter } from './bedrock/index.ts';
import { openaiAdapter } from './openai/index.ts';
import { vertexAdapter } from './vertex/index.ts';
import type { ProviderAdapter } from './provider-adapter.ts';

const adapters: Record<Route['provider'], ProviderAdapter> = {
  openai: openaiAdapter,
  azure: azureAdapter,
  bedrock: bedrockAdapter,
  vertex: vertexAdapter,
};

/** The adapter that speaks a route's wire protocol. */
export function getProviderAdapter(name: Route['provider']): ProviderAdapter {
  const adapter = adapters[name];
  if (adapter === undefined) throw new Error(`no provider adapter named '${name}'`);
  return adapter;
}
