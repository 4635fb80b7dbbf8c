// Compaction as a service: condenses a conversation (the given input, or a previous_response_id chain) into the
// user's messages followed by one `compaction` item, as OpenAI's compaction does, so that an agent can keep a long
// task going in a small context. The summary is written by the model over the same routes, limits and ledger as any
// call; the compaction item carries it sealed for the tenant under the gateway's key (runtime/compaction-content.ts).
import { type CallContext, type CallInfo, readCompletionUsage, runModelCall } from '../calls/index.ts';
import { deriveRequestNeeds } from '../policy/index.ts';
import {
  COMPACTION_INSTRUCTIONS,
  convertChatUsageToResponseUsage,
  convertResponsesToChatRequest,
  createItemId,
  sealCompactionContent,
} from '../runtime/index.ts';
import type { CompactRequest, ResponseCreateRequest, ResponseItem } from '../wire/index.ts';
import { openTurnItems } from './open-turn-items.ts';
import { prepareTurn } from './prepare-turn.ts';
import type { TurnServices } from './turn-services.ts';

/** A compaction: OpenAI's `response.compaction` object, and what the client is told about its call. */
export interface Compaction {
  info: CallInfo;
  /** `{id, object: "response.compaction", created_at, output, usage}`. */
  compaction: Record<string, unknown>;
}

/** Compacts; the usage event is committed before this resolves. */
export async function compactResponse(services: TurnServices, context: CallContext, request: CompactRequest): Promise<Compaction> {
  const tenant = context.principal.tenant.id;
  // Only the fields the compact body declares (and Crossway's): anything else in the loose body, such as a
  // `conversation` the endpoint does not take, is neither validated nor read.
  const turn = await prepareTurn(services, tenant, {
    model: request.model,
    input: request.input ?? [],
    previous_response_id: request.previous_response_id,
    instructions: request.instructions,
    models: request.models,
    crossway: request.crossway,
    store: false,
  } as ResponseCreateRequest);
  const items: ResponseItem[] = openTurnItems(services, tenant, turn);
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
  const routing = {
    kind: 'chat' as const,
    endpoint: 'responses.compact',
    model: request.model,
    fallbackModels: request.models,
    preferences: request.crossway,
    needs,
  };
  return runModelCall(
    services,
    context,
    routing,
    (routes, options) => services.executor.chat({ ...chat, stream: false }, routes, options),
    async (open) => {
      const completion = open.executed.value.completion;
      await open.complete({ ...readCompletionUsage(completion, needs), status: 200 });
      const summary = completion.choices[0]?.message.content ?? '';
      const userMessages = items.filter((item) => item.type === 'message' && item.role === 'user');
      const output = [
        ...userMessages,
        { type: 'compaction' as const, id: createItemId('cmp'), encrypted_content: sealCompactionContent(summary, { key: services.compactionKey, tenant }) },
      ];
      const usage = completion.usage === undefined ? null : convertChatUsageToResponseUsage(completion.usage);
      return {
        info: open.info,
        compaction: { id: createItemId('resp'), object: 'response.compaction', created_at: Math.floor(Date.now() / 1000), output, usage },
      };
    },
  );
}
