// POST /v1/responses/compact: condenses a conversation (the given input, or a previous_response_id chain) into the
// user's messages followed by one `compaction` item, as OpenAI's compaction does, so that an agent can keep a long
// task going in a small context. The summary is written by the model over the same routes, limits and ledger as any
// call; the compaction item carries it sealed for the tenant under the gateway's key (runtime/compaction-content.ts).
import { deriveRequestNeeds } from '../policy/index.ts';
import {
  COMPACTION_INSTRUCTIONS,
  convertChatUsageToResponseUsage,
  convertResponsesToChatRequest,
  createItemId,
  sealCompactionContent,
} from '../runtime/index.ts';
import { compactRequestSchema, parseRequest, type ResponseCreateRequest, type ResponseItem } from '../wire/index.ts';
import type { Exchange, GatewayContext } from './gateway-types.ts';
import { prepareTurn } from './handle-responses.ts';
import { openTurnItems } from './open-turn-items.ts';
import { tenantOf } from './admin-access.ts';
import { readJsonBody } from './read-body.ts';
import { readCompletionUsage } from './read-token-usage.ts';
import { routeRequest } from './route-request.ts';

/** Compacts; answers `{id, object: "response.compaction", created_at, output, usage}`. */
export async function handleCompactResponse(gateway: GatewayContext, exchange: Exchange): Promise<void> {
  const body = await readJsonBody(exchange.req, gateway.bodyLimitBytes, exchange.rawBody);
  const request = parseRequest(compactRequestSchema, body);
  const tenant = tenantOf(exchange);
  // Only the fields the compact body declares (and Crossway's): anything else in the loose body, such as a
  // `conversation` the endpoint does not take, is neither validated nor read.
  const turn = await prepareTurn(gateway, tenant, {
    model: request.model,
    input: request.input ?? [],
    previous_response_id: request.previous_response_id,
    instructions: request.instructions,
    models: request.models,
    crossway: request.crossway,
    store: false,
  } as ResponseCreateRequest);
  const items: ResponseItem[] = openTurnItems(gateway, tenant, turn);
  // The conversation to condense, with the caller's instructions kept as context, under the compaction instruction.
  const chat = convertResponsesToChatRequest(
    { ...turn.request, instructions: COMPACTION_INSTRUCTIONS, tools: undefined, tool_choice: undefined, text: undefined },
    [
      ...(request.instructions
        ? [
            {
              type: 'message' as const,
              id: createItemId('msg'),
              role: 'developer' as const,
              content: [{ type: 'input_text' as const, text: request.instructions }],
              status: 'completed' as const,
            },
          ]
        : []),
      ...items,
    ],
  );
  const needs = deriveRequestNeeds(chat);
  exchange.log = { endpoint: 'responses.compact', model: request.model, stream: false };
  const routing = {
    kind: 'chat' as const,
    endpoint: 'responses.compact',
    model: request.model,
    fallbackModels: request.models,
    preferences: request.crossway,
    needs,
  };
  const executed = await routeRequest(gateway, exchange, routing, (routes, onAttempt) =>
    gateway.executor.chat({ ...chat, stream: false }, routes, { signal: exchange.signal, onAttempt }),
  );
  const completion = executed.value.completion;
  const metered = readCompletionUsage(completion, needs);
  await exchange.meter?.complete({ route: executed.route, ...metered, status: 200 });
  const summary = completion.choices[0]?.message.content ?? '';
  const userMessages = items.filter((item) => item.type === 'message' && item.role === 'user');
  const output = [
    ...userMessages,
    { type: 'compaction' as const, id: createItemId('cmp'), encrypted_content: sealCompactionContent(summary, { key: gateway.compactionKey, tenant }) },
  ];
  const usage = completion.usage === undefined ? null : convertChatUsageToResponseUsage(completion.usage);
  const payload = JSON.stringify({ id: createItemId('resp'), object: 'response.compaction', created_at: Math.floor(Date.now() / 1000), output, usage });
  exchange.res.writeHead(200, {
    'x-crossway-route': executed.route.id,
    ...exchange.meter?.headers(),
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  exchange.res.end(payload);
}
