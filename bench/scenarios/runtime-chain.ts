// What the stateful runtime costs a turn as the context grows, in-process on the real SQLite file store: reading a
// previous_response_id chain (or a conversation) and translating it into the chat request, for a turn continuing 1
// stored turn against one continuing 200, with the store read's share shown apart (it is one SQL statement at any
// depth; the translation is linear work). Also the database size per 1,000 stored turns.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { BenchContext, Scenario, ScenarioResult } from '../bench-types.ts';
import { skippedResult } from '../bench-types.ts';
import { LatencyRecorder } from '../latency-recorder.ts';
import { formatMs, formatRatio, safeRatio } from '../report/format-measure.ts';
import { renderMarkdownTable } from '../report/render-markdown-table.ts';

const TITLE = 'Stateful runtime: previous_response_id chains and conversations';
const CHAIN_TURNS = 200;
/** Turns of the long conversation: two items each (the user's message and the answer), 200 items. */
const CONVERSATION_TURNS = 100;
const TENANT = 'bench';
const MODEL = 'bench-model';
/** A context window far above the 200-turn context (about 60k tokens): the fits-check takes its cheap path. */
const LARGE_WINDOW = 1_000_000;
const WARM_UP = 20;

export const runtimeChainScenario: Scenario = {
  name: 'runtime-chain',
  description: 'Gateway time of a Responses turn continuing 1 vs 200 stored turns (chain and conversation, SQLite file); DB size per 1,000 turns',
  enabledByDefault: true,
  run: runRuntimeChain,
};

type StoreModule = typeof import('../../src/store/index.ts');
type RuntimeModule = typeof import('../../src/runtime/index.ts');
type Store = Awaited<ReturnType<StoreModule['openSqliteStore']>>;
type ResponseItem = ReturnType<RuntimeModule['normalizeResponseInput']>[number];
type CreateRequest = Parameters<RuntimeModule['convertResponsesToChatRequest']>[0];

/** The parts of one turn's gateway time, in ms. */
interface TurnTimes {
  read: number;
  translate: number;
  fit: number;
}

async function runRuntimeChain(context: BenchContext): Promise<ScenarioResult> {
  let storeModule: StoreModule;
  let runtime: RuntimeModule;
  try {
    [storeModule, runtime] = await Promise.all([import('../../src/store/index.ts'), import('../../src/runtime/index.ts')]);
  } catch (error) {
    return skippedResult(TITLE, `the store or runtime module does not load (${(error as Error).message.split('\n')[0]}).`);
  }
  if (typeof runtime.truncateContextItems !== 'function') return skippedResult(TITLE, 'the runtime has no truncateContextItems.');
  const repetitions = Math.max(60, context.settings.translationIterations * 5);
  const paths = {
    empty: join(context.tempDir, 'runtime-empty.db'),
    chain: join(context.tempDir, 'runtime-chain.db'),
    conversation: join(context.tempDir, 'runtime-conversation.db'),
  };

  const empty = await storeModule.openSqliteStore(paths.empty);
  await empty.migrate();
  await empty.close();

  context.log(`runtime-chain: storing a ${CHAIN_TURNS}-turn chain and a ${CONVERSATION_TURNS}-turn (${CONVERSATION_TURNS * 2}-item) conversation`);
  const chainStore = await storeModule.openSqliteStore(paths.chain);
  const conversationStore = await storeModule.openSqliteStore(paths.conversation);
  let raw: DatabaseSync | null = null;
  let closed = false;
  const closeStores = async () => {
    if (closed) return;
    closed = true;
    raw?.close();
    await chainStore.close();
    await conversationStore.close();
  };
  try {
    await chainStore.migrate();
    await conversationStore.migrate();
    const { ids: chainIds, payloadBytes } = await storeChain(chainStore, runtime);
    const conversations = {
      short: await storeConversation(conversationStore, runtime, 1),
      long: await storeConversation(conversationStore, runtime, CONVERSATION_TURNS),
    };

    // One turn's gateway work: read the context, normalise the new input, translate, check that it fits the window.
    const newInput = 'And what follows from that for the next step?';
    const translate = (request: CreateRequest, contextItems: ResponseItem[]): { translate: number; fit: number } => {
      const started = performance.now();
      const inputItems = runtime.normalizeResponseInput(newInput);
      const items = [...contextItems, ...inputItems];
      runtime.convertResponsesToChatRequest(request, items);
      const translated = performance.now();
      runtime.truncateContextItems({
        instructions: request.instructions,
        items,
        keepFrom: contextItems.length,
        contextWindow: LARGE_WINDOW,
        reservedOutputTokens: 4096,
      });
      return { translate: translated - started, fit: performance.now() - translated };
    };
    const chainTurn = async (previous: string): Promise<TurnTimes> => {
      const started = performance.now();
      const chain = await chainStore.readResponseChain(TENANT, previous);
      if (chain === null) throw new Error(`the chain ending at ${previous} is missing`);
      const contextItems = chain.items.map((record) => record.item as unknown as ResponseItem);
      const read = performance.now() - started;
      return { read, ...translate({ model: MODEL, input: newInput, previous_response_id: previous, instructions: INSTRUCTIONS }, contextItems) };
    };
    // The gateway's path: the chain cache, which holds a chain once the gateway stored or read it (a hit after warm-up).
    const cache = new runtime.ResponseChainCache();
    const cachedChainTurn = async (previous: string): Promise<TurnTimes> => {
      const started = performance.now();
      let contextItems = cache.get(TENANT, previous);
      if (contextItems === undefined) {
        const chain = await chainStore.readResponseChain(TENANT, previous);
        if (chain === null) throw new Error(`the chain ending at ${previous} is missing`);
        cache.addStored(TENANT, chain);
        contextItems = chain.items.map((record) => record.item as unknown as ResponseItem);
      }
      const read = performance.now() - started;
      return { read, ...translate({ model: MODEL, input: newInput, previous_response_id: previous, instructions: INSTRUCTIONS }, contextItems) };
    };
    const conversationTurn = async (id: string): Promise<TurnTimes> => {
      const started = performance.now();
      const records = await conversationStore.readConversationItems(TENANT, id);
      if (records === null) throw new Error(`the conversation ${id} is missing`);
      const contextItems = records.map((record) => record.item as unknown as ResponseItem);
      const read = performance.now() - started;
      return { read, ...translate({ model: MODEL, input: newInput, conversation: id, instructions: INSTRUCTIONS }, contextItems) };
    };

    // Baseline: what a turn needs of the chain, its items only, read with a raw prepared statement on a second
    // connection to the same file (the same recursive walk, without the response records) and parsed.
    raw = new DatabaseSync(paths.chain, { readOnly: true });
    const itemsOnly = raw.prepare(CHAIN_ITEMS_SQL);
    const rawChainItems = (previous: string): TurnTimes => {
      const started = performance.now();
      const rows = itemsOnly.all(previous, TENANT, TENANT) as { item: string }[];
      rows.map((row) => JSON.parse(row.item) as unknown);
      return { read: performance.now() - started, translate: 0, fit: 0 };
    };

    const first = chainIds[0] as string;
    const last = chainIds[chainIds.length - 1] as string;
    const series = {
      chain1: createSeries(),
      chain200: createSeries(),
      cached1: createSeries(),
      cached200: createSeries(),
      raw1: createSeries(),
      raw200: createSeries(),
      conversation1: createSeries(),
      conversation200: createSeries(),
    };
    context.log(`runtime-chain: ${repetitions} turns of each kind, interleaved`);
    for (let round = 0; round < WARM_UP + repetitions; round++) {
      const measured = round >= WARM_UP;
      const samples: [Series, TurnTimes][] = [
        [series.chain1, await chainTurn(first)],
        [series.chain200, await chainTurn(last)],
        [series.cached1, await cachedChainTurn(first)],
        [series.cached200, await cachedChainTurn(last)],
        [series.conversation1, await conversationTurn(conversations.short)],
        [series.conversation200, await conversationTurn(conversations.long)],
        [series.raw1, rawChainItems(first)],
        [series.raw200, rawChainItems(last)],
      ];
      if (measured) for (const [recorders, times] of samples) recordTurn(recorders, times);
    }

    // The fits-check near the window: the tokenizer counts the 200-turn context exactly (the slow path of truncation).
    const longChain = await chainStore.readResponseChain(TENANT, last);
    const longItems = [...(longChain?.items ?? []).map((record) => record.item as unknown as ResponseItem), ...runtime.normalizeResponseInput(newInput)];
    const exactTokens = runtime.checkContextFits({
      instructions: INSTRUCTIONS,
      items: longItems,
      contextWindow: LARGE_WINDOW,
      reservedOutputTokens: 0,
      countItemTokens: runtime.countResponseItemTokens,
    });
    const boundTokens = runtime.checkContextFits({ instructions: INSTRUCTIONS, items: longItems, contextWindow: LARGE_WINDOW, reservedOutputTokens: 0 });
    const exact = new LatencyRecorder();
    let dropped = 0;
    for (let round = 0; round < Math.max(10, repetitions / 10); round++) {
      const started = performance.now();
      dropped = runtime.truncateContextItems({
        instructions: INSTRUCTIONS,
        items: longItems,
        keepFrom: longItems.length - 1,
        contextWindow: Math.floor(exactTokens / 2),
        reservedOutputTokens: 0,
      }).dropped;
      exact.record(performance.now() - started);
    }

    await closeStores();
    const sizes = await measureSizes(paths);
    const turnsStored = { chain: CHAIN_TURNS, conversation: CONVERSATION_TURNS + 1 };
    const perThousand = (bytes: number, turns: number) => ((bytes - sizes.empty) / turns) * 1000;
    const chainPer1000 = perThousand(sizes.chain, turnsStored.chain);
    const conversationPer1000 = perThousand(sizes.conversation, turnsStored.conversation);

    const summary = (recorders: Series) => ({
      read: recorders.read.summary(),
      translate: recorders.translate.summary(),
      fit: recorders.fit.summary(),
      total: recorders.total.summary(),
    });
    const rows = [
      ['chain, read from the store: turn continuing 1 stored turn (2 items)', summary(series.chain1)],
      [`chain, read from the store: turn continuing ${CHAIN_TURNS} stored turns (${CHAIN_TURNS * 2} items)`, summary(series.chain200)],
      ['chain, gateway path (chain cache hit): turn continuing 1 stored turn', summary(series.cached1)],
      [`chain, gateway path (chain cache hit): turn continuing ${CHAIN_TURNS} stored turns`, summary(series.cached200)],
      ['conversation: 2 items', summary(series.conversation1)],
      [`conversation: ${CONVERSATION_TURNS * 2} items`, summary(series.conversation200)],
    ] as const;
    const chainRatio = safeRatio(series.chain200.total.summary().p50, series.chain1.total.summary().p50);
    const cachedRatio = safeRatio(series.cached200.total.summary().p50, series.cached1.total.summary().p50);
    const cachedLong = summary(series.cached200);
    const chainReadRatio = safeRatio(series.chain200.read.summary().p50, series.chain1.read.summary().p50);
    const conversationRatio = safeRatio(series.conversation200.total.summary().p50, series.conversation1.total.summary().p50);
    const long = summary(series.chain200);
    const raw1 = series.raw1.read.summary();
    const raw200 = series.raw200.read.summary();
    const readShare = safeRatio(long.read.p50, long.total.p50);
    const markdown = [
      `In-process, no HTTP: the SQLite file store (WAL; reads on the event loop, writes on the writer thread with \`synchronous = FULL\`) holding a ` +
        `${CHAIN_TURNS}-turn previous_response_id chain and a conversation of ${CONVERSATION_TURNS * 2} items, stored turn by turn as the server ` +
        'stores them (the response record with the response object, its input and output items; a conversation turn also appends both items to the ' +
        `conversation). Each turn has a user message of about ${USER_WORDS} words and an answer of about ${ANSWER_WORDS}. A measured turn is the ` +
        `gateway's own work before routing: the store read (\`readResponseChain\`, one recursive SQL statement at any depth, or ` +
        `\`readConversationItems\`), the translation (\`normalizeResponseInput\` + \`convertResponsesToChatRequest\`) and the context-window check ` +
        `(\`truncateContextItems\` with the default counter, far from a ${LARGE_WINDOW.toLocaleString('en-US')}-token window: its UTF-8 upper bound ` +
        `spares the tokenizer). Medians of ${repetitions} turns of each kind, interleaved, after ${WARM_UP} warm-up rounds.`,
      renderMarkdownTable(
        ['Turn', 'store read p50 ms', 'translate p50 ms', 'fits-check p50 ms', 'total p50 ms', 'total p99 ms'],
        rows.map(([label, s]) => [label, formatMs(s.read.p50), formatMs(s.translate.p50), formatMs(s.fit.p50), formatMs(s.total.p50), formatMs(s.total.p99)]),
        [false, true, true, true, true, true],
      ),
      'The gateway keeps each chain it stored or read in a chain cache (runtime/response-chain-cache.ts: one immutable link per response, so a new ' +
        `turn adds one link); on that path turn ${CHAIN_TURNS} takes **${formatMs(cachedLong.total.p50)} ms** against ` +
        `${formatMs(summary(series.cached1).total.p50)} ms for turn 1 (**${formatRatio(cachedRatio, 1)}×**): what remains is translating ` +
        `${CHAIN_TURNS * 2} items into chat messages and checking the window, work proportional to the context the model must be sent. From the store ` +
        `(a cold cache: after a restart, or another replica's chain): turn ${CHAIN_TURNS} / turn 1: **${formatRatio(chainRatio, 1)}×** the gateway ` +
        `time (store read alone ${formatRatio(chainReadRatio, 1)}×; the read is ${readShare === null ? 'n/a' : `${Math.round(readShare * 100)} %`} of ` +
        `turn ${CHAIN_TURNS}'s time). Conversation, ${CONVERSATION_TURNS * 2} items / 2 items: ${formatRatio(conversationRatio, 1)}×. The store round ` +
        `trips do not grow with depth (one statement); the bytes read, parsed and translated do, linearly: ${CHAIN_TURNS} turns' items are ` +
        `${CHAIN_TURNS * 2} JSON objects to parse and turn into chat messages, and no constant-time design can send a model a context it has not read. ` +
        `Meeting 2× would take the earlier context kept parsed in memory (a finished response's items never change), not fewer round trips.`,
      `Where the chain read goes: \`readResponseChain\` returns every response record of the chain too (request and response object, which repeats ` +
        'the answer), and sorts the wide rows; the items alone, read by the same recursive walk with a raw prepared statement and parsed, take ' +
        `${formatMs(raw1.p50)} ms for 1 turn and ${formatMs(raw200.p50)} ms for ${CHAIN_TURNS} (${formatRatio(raw200.p50, raw1.p50)}×), against ` +
        `${formatMs(summary(series.chain1).read.p50)} and ${formatMs(long.read.p50)} ms through the store (baseline measured in this run, same file).`,
      `Near the window the check counts exactly: \`truncateContextItems\` on the ${CHAIN_TURNS}-turn context (${exactTokens.toLocaleString('en-US')} ` +
        `tokens, o200k_base) with a window of half that takes **${formatMs(exact.summary().p50)} ms** (p50; it dropped the oldest ${dropped} items). ` +
        `It runs only when the cheap bound (UTF-8 bytes, here ${boundTokens.toLocaleString('en-US')}, ${formatRatio(boundTokens, exactTokens)}× the ` +
        'exact count) does not fit the window.',
      renderMarkdownTable(
        ['Database', 'turns stored', 'file + WAL after checkpoint', 'per 1,000 turns (above the empty schema)'],
        [
          ['empty (migrated schema only)', '0', formatKb(sizes.empty), 'n/a'],
          ['previous_response_id chain', String(turnsStored.chain), formatKb(sizes.chain), formatMb(chainPer1000)],
          ['conversation turns (response + conversation items)', String(turnsStored.conversation), formatKb(sizes.conversation), formatMb(conversationPer1000)],
        ],
        [false, true, true, true],
      ),
      `A chain turn's JSON (response record with its response object, input and output items) is ${formatKb(payloadBytes / CHAIN_TURNS)} on average; ` +
        `the answer is stored twice (in the response object's \`output\` and as an output item), as OpenAI returns both.`,
    ].join('\n\n');
    return {
      title: TITLE,
      markdown,
      headline: [
        `Responses turn continuing ${CHAIN_TURNS} stored turns: ${formatMs(cachedLong.total.p50)} ms of gateway time with the chain cache ` +
          `(**${formatRatio(cachedRatio, 1)}×** turn 1), ${formatMs(long.total.p50)} ms from the store (${formatRatio(chainRatio, 1)}×, one statement ` +
          `at any depth); SQLite grows ${formatMb(chainPer1000)} per 1,000 chain turns.`,
      ],
      targets: [
        {
          goal: `Gateway time of turn ${CHAIN_TURNS} of a previous_response_id chain under 2× turn 1`,
          measured:
            `${formatRatio(cachedRatio, 1)}× on the gateway's path (chain cache), ${formatRatio(chainRatio, 1)}× from the store (read ` +
            `${formatRatio(chainReadRatio, 1)}×); translating ${CHAIN_TURNS * 2} items is linear`,
          met: cachedRatio === null ? null : cachedRatio < 2,
          evidence:
            `Translating the context is linear in its length: turn ${CHAIN_TURNS} sends ${CHAIN_TURNS * 2} items to the model, turn 1 sends two, and ` +
            'each must become a chat message and be checked against the window ("Stateful runtime"). The store part is one indexed statement at any ' +
            'depth; what grows is the bytes it reads.',
        },
      ],
      artifacts: [],
    };
  } finally {
    await closeStores().catch(() => undefined);
  }
}

/** The items of the chain ending at ? (tenant ?, ?), oldest response first: the store's recursive walk, items only. */
const CHAIN_ITEMS_SQL = `with recursive chain (id, previous_response_id, depth) as (
    select id, previous_response_id, 0 from responses where id = ? and tenant = ?
    union all
    select responses.id, responses.previous_response_id, chain.depth + 1 from responses join chain on responses.id = chain.previous_response_id
    where responses.tenant = ?)
  select response_items.item as item from chain join response_items on response_items.response_id = chain.id
  order by chain.depth desc, response_items.kind, response_items.position`;

const INSTRUCTIONS = 'You are a concise assistant for an engineering team. Answer in plain prose.';
const USER_WORDS = 60;
const ANSWER_WORDS = 180;
const WORDS =
  'the route gateway model answer region cloud request token context window price ledger partner policy stream latency budget tenant chain conversation'.split(
    ' ',
  );

/** Deterministic prose of `count` words, different per seed. */
function prose(count: number, seed: number): string {
  return `${Array.from({ length: count }, (_, k) => WORDS[(seed * 7 + k * 13 + ((k * k) % 5)) % WORDS.length]).join(' ')}.`;
}

/** One stored turn as the server's persistTurn keeps it: the response record and its input and output item records. */
function buildTurn(runtime: RuntimeModule, turn: number, previous: string | null, conversation: string | null) {
  const id = runtime.createItemId('resp');
  const request: CreateRequest = {
    model: MODEL,
    instructions: INSTRUCTIONS,
    input: prose(USER_WORDS, turn),
    ...(previous === null ? {} : { previous_response_id: previous }),
    ...(conversation === null ? {} : { conversation }),
  };
  const inputItems = runtime.normalizeResponseInput(request.input);
  const output = [
    {
      type: 'message' as const,
      id: runtime.createItemId('msg'),
      role: 'assistant' as const,
      content: [{ type: 'output_text' as const, text: prose(ANSWER_WORDS, turn + 1), annotations: [] }],
      status: 'completed' as const,
    },
  ];
  const createdAt = Math.floor(Date.now() / 1000);
  const usage = {
    input_tokens: 100 * turn,
    input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    output_tokens: 240,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 100 * turn + 240,
  };
  const response = runtime.buildResponseObject({
    id,
    created_at: createdAt,
    status: 'completed',
    model: MODEL,
    request,
    output,
    usage,
    error: null,
    incomplete_details: null,
    previous_response_id: previous,
    conversation,
  });
  const { input: _input, ...storedRequest } = request;
  const now = new Date().toISOString();
  const record = {
    id,
    tenant: TENANT,
    created_at: new Date(createdAt * 1000).toISOString(),
    updated_at: now,
    status: 'completed' as const,
    model: MODEL,
    route: 'bench-route',
    previous_response_id: previous,
    conversation_id: conversation,
    background: false,
    request: storedRequest as Record<string, unknown>,
    response: response as unknown as Record<string, unknown>,
    usage_event_id: `evt_${id.slice(5)}`,
    expires_at: new Date(createdAt * 1000 + 30 * 86_400_000).toISOString(),
  };
  const toRecords = (kind: 'input' | 'output', items: readonly ResponseItem[]) =>
    items.map((item, position) => ({ response_id: id, kind, position, item_id: String(item.id), item: item as unknown as Record<string, unknown> }));
  const itemRecords = [...toRecords('input', inputItems), ...toRecords('output', output)];
  return { id, record, itemRecords, items: [...inputItems, ...output] as ResponseItem[] };
}

async function storeChain(store: Store, runtime: RuntimeModule): Promise<{ ids: string[]; payloadBytes: number }> {
  const ids: string[] = [];
  let payloadBytes = 0;
  for (let turn = 1; turn <= CHAIN_TURNS; turn++) {
    const built = buildTurn(runtime, turn, ids.at(-1) ?? null, null);
    payloadBytes += Buffer.byteLength(JSON.stringify(built.record)) + Buffer.byteLength(JSON.stringify(built.itemRecords));
    await store.insertResponse(built.record, built.itemRecords);
    ids.push(built.id);
  }
  return { ids, payloadBytes };
}

/** A conversation of `turns` turns, each stored as the server does: the response, then its items appended. */
async function storeConversation(store: Store, runtime: RuntimeModule, turns: number): Promise<string> {
  const id = runtime.createItemId('conv');
  await store.insertConversation({ id, tenant: TENANT, created_at: new Date().toISOString(), metadata: {} }, []);
  for (let turn = 1; turn <= turns; turn++) {
    const built = buildTurn(runtime, turn, null, id);
    await store.insertResponse(built.record, built.itemRecords);
    const createdAt = new Date().toISOString();
    await store.appendConversationItems(
      TENANT,
      id,
      built.items.map((item) => ({ conversation_id: id, item_id: String(item.id), item: item as unknown as Record<string, unknown>, created_at: createdAt })),
    );
  }
  return id;
}

interface Series {
  read: LatencyRecorder;
  translate: LatencyRecorder;
  fit: LatencyRecorder;
  total: LatencyRecorder;
}

function createSeries(): Series {
  return { read: new LatencyRecorder(), translate: new LatencyRecorder(), fit: new LatencyRecorder(), total: new LatencyRecorder() };
}

function recordTurn(series: Series, times: TurnTimes): void {
  series.read.record(times.read);
  series.translate.record(times.translate);
  series.fit.record(times.fit);
  series.total.record(times.read + times.translate + times.fit);
}

/** Bytes of each database file plus its WAL, after the stores closed and a checkpoint folded the WAL in. */
async function measureSizes(paths: { empty: string; chain: string; conversation: string }): Promise<{ empty: number; chain: number; conversation: number }> {
  const sizeOf = async (path: string): Promise<number> => {
    const database = new DatabaseSync(path);
    try {
      database.exec('pragma wal_checkpoint(truncate)');
    } finally {
      database.close();
    }
    const bytes = async (file: string) => (await stat(file).catch(() => null))?.size ?? 0;
    return (await bytes(path)) + (await bytes(`${path}-wal`));
  };
  return { empty: await sizeOf(paths.empty), chain: await sizeOf(paths.chain), conversation: await sizeOf(paths.conversation) };
}

function formatKb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function formatMb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}
