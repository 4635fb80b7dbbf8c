// Compaction as a service: condenses a conversation (the given input, or a previous_response_id chain) into one
// `compaction` item, as OpenAI's compaction does, so that an agent can keep a long task going in a small context.
// Two doors lead here: POST /v1/responses/compact (the user's messages followed by the compaction item), and a
// Responses turn whose input ends with Codex's `compaction_trigger` item ("remote compaction v2": the turn's output is
// the compaction item alone). The summary is written by the model over the same routes, limits and ledger as any
// call; the compaction item carries it sealed for the tenant under the gateway's key (runtime/compaction-content.ts).
import { type CallContext, type CallInfo, readCompletionUsage, runModelCall } from '../calls/index.ts';
import type { TokenUsage } from '../metering/index.ts';
import { deriveRequestNeeds } from '../policy/index.ts';
import {
  COMPACTION_INSTRUCTIONS,
  convertChatUsageToResponseUsage,
  convertResponsesToChatRequest,
  createItemId,
  sealCompactionContent,
} from '../runtime/index.ts';
import type { CompactRequest, ResponseCompactionItem, ResponseCreateRequest, ResponseItem, ResponseUsage } from '../wire/index.ts';
import { openTurnItems } from './open-turn-items.ts';
import { prepareTurn } from './prepare-turn.ts';
import type { ResponseTurn } from './response-turn.ts';
import type { TurnServices } from './turn-services.ts';

/** A compaction: OpenAI's `response.compaction` object, and what the client is told about its call. */
export interface Compaction {
  info: CallInfo;
  /** `{id, object: "response.compaction", created_at, output, usage}`. */
  compaction: Record<string, unknown>;
}

/** One summarising call's result: the sealed compaction item and its usage. */
export interface CompactionCall {
  info: CallInfo;
  item: ResponseCompactionItem;
  /** In the Responses shape; null when the cloud reported none. */
  usage: ResponseUsage | null;
  /** What the call was metered for. */
  metered: TokenUsage;
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
  const call = await summarize(services, context, turn.request, items, 'responses.compact');
  const userMessages = items.filter((item) => item.type === 'message' && item.role === 'user');
  return {
    info: call.info,
    compaction: {
      id: createItemId('resp'),
      object: 'response.compaction',
      created_at: Math.floor(Date.now() / 1000),
      output: [...userMessages, call.item],
      usage: call.usage,
    },
  };
}

/** Whether a turn asks for compaction (Codex's remote compaction v2): its input ends with a `compaction_trigger` item. */
export function isCompactionTurn(turn: Pick<ResponseTurn, 'inputItems'>): boolean {
  return turn.inputItems.at(-1)?.type === 'compaction_trigger';
}

/** Runs a compaction turn: everything before the trigger condensed into one compaction item. */
export function compactTurn(services: TurnServices, context: CallContext, turn: ResponseTurn): Promise<CompactionCall> {
  const tenant = context.principal.tenant.id;
  const items = openTurnItems(services, tenant, turn).filter((item) => item.type !== 'compaction_trigger');
  return summarize(services, context, turn.request, items, 'responses.compact');
}

/**
 * The summarising call: the conversation (with the caller's instructions kept as context) under the compaction
 * instruction, without tools; the usage event is committed before this resolves.
 */
async function summarize(
  services: TurnServices,
  context: CallContext,
  request: ResponseCreateRequest,
  items: readonly ResponseItem[],
  endpoint: string,
): Promise<CompactionCall> {
  const tenant = context.principal.tenant.id;
  const chat = convertResponsesToChatRequest(
    { ...request, instructions: COMPACTION_INSTRUCTIONS, tools: undefined, tool_choice: undefined, text: undefined, stream: false },
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
  const routing = { kind: 'chat' as const, endpoint, model: request.model, fallbackModels: request.models, preferences: request.crossway, needs };
  return runModelCall(
    services,
    context,
    routing,
    (routes, options) => services.executor.chat({ ...chat, stream: false }, routes, options),
    async (open) => {
      const completion = open.executed.value.completion;
      const metered = readCompletionUsage(completion, needs);
      await open.complete({ ...metered, status: 200 });
      const summary = completion.choices[0]?.message.content ?? '';
      const item: ResponseCompactionItem = {
        type: 'compaction',
        id: createItemId('cmp'),
        encrypted_content: sealCompactionContent(summary, { key: services.compactionKey, tenant }),
      };
      const usage = completion.usage === undefined ? null : convertChatUsageToResponseUsage(completion.usage);
      return { info: open.info, item, usage, metered: metered.usage };
    },
  );
}
