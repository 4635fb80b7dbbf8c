// The translation between agent items and Responses items: ids, replay, tool results, pending calls.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findPendingCalls, toAgentOutputItem, toContextItems, toFunctionCallOutputItem, toUserMessageItem } from './agent-items.ts';

describe('agent items', () => {
  const user = toUserMessageItem({ role: 'user', content: [{ type: 'input_text', text: 'Weather?' }] }, 'turn_1');
  const source = { id: 'fc_cloud', type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}', status: 'completed' };
  const call = toAgentOutputItem(source, 'item_1', 'turn_1');

  it('keeps a function call under its own id with the Responses item it came from, and replays that item exactly', () => {
    assert.deepEqual(call, {
      id: 'item_1',
      type: 'function_call',
      call_id: 'call_1',
      name: 'get_weather',
      arguments: '{"city":"Oslo"}',
      status: 'completed',
      turn_id: 'turn_1',
      crossway_item: source,
    });
    assert.ok(call !== null);
    const answered = toFunctionCallOutputItem('turn_1', 'call_1', { success: true, output: '12 C' });
    assert.deepEqual(toContextItems([user, call, answered]), [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather?' }] },
      source,
      { type: 'function_call_output', call_id: 'call_1', output: '12 C' },
    ]);
  });

  it("tells the model a failed tool's error", () => {
    const failed = toFunctionCallOutputItem('turn_1', 'call_1', { success: false, error: 'Service down.' });
    assert.equal(failed.status, 'failed');
    assert.deepEqual(toContextItems([failed]), [{ type: 'function_call_output', call_id: 'call_1', output: 'Error: Service down.' }]);
  });

  it('finds the calls of a turn no result answered yet', () => {
    assert.ok(call !== null);
    assert.deepEqual(findPendingCalls([user, call], 'turn_1'), [
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}', turn_id: 'turn_1' },
    ]);
    assert.deepEqual(findPendingCalls([user, call], 'turn_2'), []);
    assert.deepEqual(findPendingCalls([user, call, toFunctionCallOutputItem('turn_1', 'call_1', { success: true, output: 'x' })], 'turn_1'), []);
  });

  it('keeps messages and reasoning, and no other kind of output', () => {
    const message = { id: 'msg_x', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hi', annotations: [] }] };
    assert.deepEqual(toAgentOutputItem(message, 'item_2', 'turn_1')?.content, [{ type: 'output_text', text: 'Hi' }]);
    assert.equal(toAgentOutputItem({ id: 'rs_x', type: 'reasoning', summary: [] }, 'item_3', 'turn_1')?.type, 'reasoning');
    assert.equal(toAgentOutputItem({ id: 'ws_x', type: 'web_search_call' }, 'item_4', 'turn_1'), null);
  });
});
