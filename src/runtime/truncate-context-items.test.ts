// Tests of fitting a turn's context into a context window: truncation "auto" (oldest items dropped, function call
// pairs kept together, the new input never dropped) and "disabled" (OpenAI's context-length error), with a counter
// of known weights and with the real tokenizer against the planner's count.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { deriveRequestNeeds } from '../policy/index.ts';
import { InvalidRequestError, type ResponseItem } from '../wire/index.ts';
import { convertResponsesToChatRequest } from './convert-responses-to-chat-request.ts';
import { boundContextBytes, checkContextFits, countResponseItemTokens, truncateContextItems, type CountItemTokens } from './truncate-context-items.ts';

function user(id: string, text = id, role: 'user' | 'system' = 'user'): ResponseItem {
  return { type: 'message', id, role, content: [{ type: 'input_text', text }], status: 'completed' };
}
function assistant(id: string, text = id): ResponseItem {
  return { type: 'message', id, role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }], status: 'completed' };
}
function call(id: string, callId: string): ResponseItem {
  return { type: 'function_call', id, call_id: callId, name: 'lookup', arguments: '{"q":"x"}', status: 'completed' };
}
function output(id: string, callId: string): ResponseItem {
  return { type: 'function_call_output', id, call_id: callId, output: 'result', status: 'completed' };
}

/** Every item weighs 10 tokens, instructions 5; no overhead unless a test sets it. */
const tenEach: CountItemTokens = (item) => (item.id === 'instructions' ? 5 : 10);
const ids = (items: readonly ResponseItem[]) => items.map((item) => String(item.id));

function assertContextLengthError(error: unknown): true {
  assert.ok(error instanceof InvalidRequestError);
  assert.equal(error.status, 400);
  assert.equal(error.code, 'context_length_exceeded');
  assert.equal(error.param, 'input');
  assert.equal(error.message, 'Your input exceeds the context window of this model. Please adjust your input and try again.');
  return true;
}

describe('truncateContextItems', () => {
  const chain = [user('u1'), assistant('a1'), user('u2'), assistant('a2'), user('u3')];
  const base = { instructions: null, items: chain, keepFrom: 4, reservedOutputTokens: 0, countItemTokens: tenEach, overheadTokens: 0 };

  const cases: Array<[string, Partial<Parameters<typeof truncateContextItems>[0]>, string[], number]> = [
    ['everything fits: nothing dropped', { contextWindow: 50 }, ['u1', 'a1', 'u2', 'a2', 'u3'], 0],
    ['one token short: the oldest item goes', { contextWindow: 49 }, ['a1', 'u2', 'a2', 'u3'], 1],
    ['drops as few as needed', { contextWindow: 30 }, ['u2', 'a2', 'u3'], 2],
    ['the reserve for the answer counts against the window', { contextWindow: 50, reservedOutputTokens: 20 }, ['u2', 'a2', 'u3'], 2],
    ['instructions are counted and never dropped', { contextWindow: 30, instructions: 'Be brief.' }, ['a2', 'u3'], 3],
    ['overhead (tools, reply priming) is counted', { contextWindow: 30, overheadTokens: 1 }, ['a2', 'u3'], 3],
    ['down to the new input alone', { contextWindow: 10 }, ['u3'], 4],
  ];
  for (const [name, options, kept, dropped] of cases) {
    test(name, () => {
      const result = truncateContextItems({ ...base, contextWindow: 0, ...options });
      assert.deepEqual(ids(result.items), kept);
      assert.equal(result.dropped, dropped);
    });
  }

  test('reports the tokens of what it kept', () => {
    assert.equal(truncateContextItems({ ...base, contextWindow: 30, instructions: 'x', overheadTokens: 2 }).inputTokens, 5 + 2 + 20);
  });

  test("the new input is never dropped: when it alone does not fit, OpenAI's context-length error", () => {
    assert.throws(() => truncateContextItems({ ...base, contextWindow: 9 }), assertContextLengthError);
    // A new input of several items is kept whole.
    assert.throws(() => truncateContextItems({ ...base, keepFrom: 3, contextWindow: 19 }), assertContextLengthError);
    assert.deepEqual(ids(truncateContextItems({ ...base, keepFrom: 3, contextWindow: 20 }).items), ['a2', 'u3']);
  });

  test('a cut never orphans an output: the call and everything up to its output go together', () => {
    const items = [user('u1'), call('fc1', 'call_1'), user('u2'), output('fco1', 'call_1'), assistant('a1'), user('u3')];
    // Dropping u1 alone would leave fc1..: fits 50. Dropping u1 + fc1 would orphan fco1: the next cut is after fco1.
    const result = truncateContextItems({ ...base, items, keepFrom: 5, contextWindow: 40 });
    assert.deepEqual(ids(result.items), ['a1', 'u3']);
    assert.equal(result.dropped, 4);
  });

  test('a call answered by the new input is kept with it', () => {
    const items = [user('u1'), assistant('a1'), call('fc1', 'call_1'), call('fc2', 'call_2'), output('fco1', 'call_1'), output('fco2', 'call_2')];
    const result = truncateContextItems({ ...base, items, keepFrom: 4, contextWindow: 40 });
    assert.deepEqual(ids(result.items), ['fc1', 'fc2', 'fco1', 'fco2']);
    // The calls must stay, so 39 tokens cannot be reached.
    assert.throws(() => truncateContextItems({ ...base, items, keepFrom: 4, contextWindow: 39 }), assertContextLengthError);
  });

  test('an output whose call is not in the context constrains nothing', () => {
    const items = [user('u1'), output('fco9', 'call_9'), user('u2')];
    assert.deepEqual(ids(truncateContextItems({ ...base, items, keepFrom: 2, contextWindow: 20 }).items), ['fco9', 'u2']);
  });

  test('properties: a suffix keeping the new input, no orphaned output, fits, and drops the fewest possible', () => {
    // A context of turns: a user message, then either an answer or calls whose outputs follow (possibly later).
    const turn = fc.record({ calls: fc.integer({ min: 0, max: 3 }), weight: fc.integer({ min: 1, max: 30 }), answerLate: fc.boolean() });
    fc.assert(
      fc.property(
        fc.array(turn, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 1, max: 3 }),
        (turns, window, newItems) => {
          const items: ResponseItem[] = [];
          const weights = new Map<string, number>();
          let pending: ResponseItem[] = [];
          turns.forEach((spec, t) => {
            items.push(user(`u${t}`));
            weights.set(`u${t}`, spec.weight);
            const outputs: ResponseItem[] = [];
            for (let k = 0; k < spec.calls; k++) {
              items.push(call(`fc${t}_${k}`, `call_${t}_${k}`));
              outputs.push(output(`fco${t}_${k}`, `call_${t}_${k}`));
            }
            // Outputs right after their calls, or one turn later (a client answering late).
            if (spec.answerLate) {
              items.push(...pending);
              pending = outputs;
            } else items.push(...outputs);
          });
          items.push(...pending);
          const keepFrom = Math.max(0, items.length - newItems);
          const count: CountItemTokens = (item) => weights.get(String(item.id)) ?? 3;
          const options = { instructions: null, items, keepFrom, contextWindow: window, reservedOutputTokens: 0, countItemTokens: count, overheadTokens: 0 };
          const total = (kept: readonly ResponseItem[]) => kept.reduce((sum, item) => sum + count(item), 0);
          const orphaned = (kept: readonly ResponseItem[]) => {
            const keptCalls = new Set(kept.flatMap((item) => (item.type === 'function_call' ? [item.call_id] : [])));
            const allCalls = new Set(items.flatMap((item) => (item.type === 'function_call' ? [item.call_id] : [])));
            return kept.some((item) => item.type === 'function_call_output' && allCalls.has(item.call_id) && !keptCalls.has(item.call_id));
          };
          let result: ReturnType<typeof truncateContextItems>;
          try {
            result = truncateContextItems(options);
          } catch (error) {
            assertContextLengthError(error);
            // No admissible suffix that keeps the new input fits.
            for (let cut = 0; cut <= keepFrom; cut++) {
              const kept = items.slice(cut);
              assert.ok(orphaned(kept) || total(kept) > window);
            }
            return;
          }
          assert.deepEqual(result.items, items.slice(result.dropped));
          assert.ok(result.dropped <= keepFrom);
          assert.ok(!orphaned(result.items));
          assert.equal(result.inputTokens, total(result.items));
          assert.ok(result.inputTokens <= window);
          for (let cut = 0; cut < result.dropped; cut++) {
            const kept = items.slice(cut);
            assert.ok(orphaned(kept) || total(kept) > window, `cut ${cut} would have dropped fewer`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('checkContextFits (truncation "disabled")', () => {
  const items = [user('u1'), assistant('a1'), user('u2')];
  const base = { instructions: 'Be brief.', items, reservedOutputTokens: 10, countItemTokens: tenEach, overheadTokens: 3 };

  test('returns the input tokens when instructions, items, overhead and the reserve fit', () => {
    assert.equal(checkContextFits({ ...base, contextWindow: 48 }), 5 + 3 + 30);
  });

  test("refuses one token more with OpenAI's context-length error, never dropping anything", () => {
    assert.throws(() => checkContextFits({ ...base, contextWindow: 47 }), assertContextLengthError);
  });
});

describe('counting with the real tokenizer', () => {
  const request = { model: 'm', instructions: 'You answer in one sentence.' };
  const items: ResponseItem[] = [
    user('u1', 'What is the capital of France? <|endoftext|> is plain text here.'),
    assistant('a1', 'Paris is the capital of France.'),
    { type: 'reasoning', id: 'rs_1', summary: [] },
    { type: 'function_call', id: 'fc1', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
    output('fco1', 'call_1'),
    {
      type: 'message',
      id: 'u2',
      role: 'user',
      content: [
        { type: 'input_text', text: 'And this picture?' },
        { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
      ],
      status: 'completed',
    },
  ];
  // What the planner counts for the chat request these items become (its framing, its image estimate).
  const plannerCount = () => deriveRequestNeeds(convertResponsesToChatRequest(request, items)).exactInputTokens?.();

  test("items add up to the planner's count of the translated request", () => {
    const sum =
      3 +
      countResponseItemTokens(user('instructions', request.instructions, 'system')) +
      items.reduce((total, item) => total + countResponseItemTokens(item), 0);
    // The function_call is framed as its own assistant message (3 + 1 tokens) although it joins the answer before it.
    assert.equal(sum, (plannerCount() ?? 0) + 4);
  });

  test('reasoning items and unresolved references weigh nothing; a plain message has its known count', () => {
    assert.equal(countResponseItemTokens({ type: 'reasoning', id: 'rs_1' }), 0);
    assert.equal(countResponseItemTokens({ type: 'item_reference', id: 'msg_1' }), 0);
    // 3 tokens of framing, "user", "hello", " world".
    assert.equal(countResponseItemTokens(user('u', 'hello world')), 6);
  });

  test('the default counter decides on exact counts near the window and on the cheap bound far from it', () => {
    const exact = checkContextFits({
      instructions: request.instructions,
      items,
      contextWindow: 1_000_000,
      reservedOutputTokens: 0,
      countItemTokens: countResponseItemTokens,
    });
    assert.equal(checkContextFits({ instructions: request.instructions, items, contextWindow: exact, reservedOutputTokens: 0 }), exact);
    assert.throws(
      () => checkContextFits({ instructions: request.instructions, items, contextWindow: exact - 1, reservedOutputTokens: 0 }),
      assertContextLengthError,
    );
    // Far from the window the UTF-8 bound is enough: it is never below the exact count.
    assert.ok(checkContextFits({ instructions: request.instructions, items, contextWindow: 1_000_000, reservedOutputTokens: 0 }) >= exact);
    const truncated = truncateContextItems({ instructions: request.instructions, items, keepFrom: 5, contextWindow: exact - 1, reservedOutputTokens: 0 });
    assert.deepEqual(ids(truncated.items), ids(items.slice(1)));
  });
});

describe('boundContextBytes', () => {
  const big = (id: string) => user(id, 'x'.repeat(100_000));
  const items = [big('a'), assistant('b'), big('c'), assistant('d'), user('new')];

  test('sends everything when the context is under the bound', () => {
    assert.deepEqual(ids(boundContextBytes({ instructions: null, items, keepFrom: 4, truncation: 'disabled', maxBytes: 1_000_000 })), [
      'a',
      'b',
      'c',
      'd',
      'new',
    ]);
  });

  test('drops the oldest items under truncation auto, never the new input', () => {
    assert.deepEqual(ids(boundContextBytes({ instructions: 'be brief', items, keepFrom: 4, truncation: 'auto', maxBytes: 150_000 })), ['b', 'c', 'd', 'new']);
  });

  test('refuses a larger context otherwise, saying how to go on', () => {
    assert.throws(
      () => boundContextBytes({ instructions: null, items, keepFrom: 4, truncation: 'disabled', maxBytes: 150_000 }),
      (error: unknown) => error instanceof InvalidRequestError && error.code === 'context_length_exceeded' && /truncation/.test(error.message),
    );
  });

  test('refuses a new input that alone passes the bound, even under auto', () => {
    assert.throws(
      () => boundContextBytes({ instructions: null, items: [big('only')], keepFrom: 0, truncation: 'auto', maxBytes: 50_000 }),
      InvalidRequestError,
    );
  });
});
