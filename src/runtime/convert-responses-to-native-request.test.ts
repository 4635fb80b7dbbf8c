import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError, NotFoundError, type ResponseCreateRequest, type ResponseItem } from '../wire/index.ts';
import { openCompactionItems, sealCompactionContent } from './compaction-content.ts';
import { convertResponsesToNativeRequest } from './convert-responses-to-native-request.ts';

const request = (overrides: Partial<ResponseCreateRequest> = {}): ResponseCreateRequest =>
  ({
    model: 'gpt-5.5',
    input: 'x',
    previous_response_id: 'resp_1',
    background: true,
    store: true,
    metadata: { a: 'b' },
    truncation: 'auto',
    instructions: 'Be brief.',
    temperature: 0.2,
    ...overrides,
  }) as ResponseCreateRequest;

const sealing = { key: Buffer.alloc(32, 7), tenant: 'acme' };

const items: ResponseItem[] = openCompactionItems(
  [
    { type: 'message', id: 'msg_1', role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }], status: 'completed' },
    { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
    { type: 'function_call_output', id: 'fco_1', call_id: 'call_1', output: '{"c":21}', status: 'completed' },
    { type: 'reasoning', id: 'rs_1', summary: [] },
    { type: 'compaction', id: 'cmp_1', encrypted_content: sealCompactionContent('Earlier: the user likes tea.', sealing) },
  ],
  sealing,
  () => 'input',
);

describe('convertResponsesToNativeRequest', () => {
  it('sends the whole context as items without Crossway ids, store false, and none of the state fields', () => {
    const body = convertResponsesToNativeRequest(request(), items);
    assert.deepEqual(body.input, [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call_output', call_id: 'call_1', output: '{"c":21}' },
      {
        type: 'message',
        role: 'system',
        content: [{ type: 'input_text', text: 'Summary of the earlier part of this conversation (compacted):\n\nEarlier: the user likes tea.' }],
      },
    ]);
    assert.equal(body.store, false);
    assert.equal(body.truncation, 'disabled');
    assert.equal(body.instructions, 'Be brief.');
    assert.equal(body.temperature, 0.2);
    for (const field of ['previous_response_id', 'background', 'metadata', 'conversation']) assert.equal(field in body, false, field);
  });

  it('refuses what the chat translation refuses, so that a turn fails alike on every route', () => {
    assert.throws(
      () => convertResponsesToNativeRequest(request({ tools: [{ type: 'mcp' }] as ResponseCreateRequest['tools'] }), items.slice(0, 1)),
      InvalidRequestError,
    );
    assert.throws(() => convertResponsesToNativeRequest(request(), [{ type: 'item_reference', id: 'msg_x' }]), NotFoundError);
    // A compaction item must be opened by the caller, which holds the key.
    assert.throws(
      () => convertResponsesToNativeRequest(request(), [{ type: 'compaction', id: 'cmp_2', encrypted_content: sealCompactionContent('x', sealing) }]),
      InvalidRequestError,
    );
  });
});
