// Converse response shapes: stop-reason mapping, the JSON answer and the ordered stream events for text and tools.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildBedrockConverseResponse, buildBedrockConverseStreamEvents, mapToBedrockStopReason, toBedrockAnswer } from './bedrock-converse-response.ts';
import type { BedrockAnswer } from './bedrock-converse-response.ts';
import type { ChatReply } from './generate-chat-reply.ts';

describe('mapToBedrockStopReason', () => {
  const cases: [Parameters<typeof mapToBedrockStopReason>, string][] = [
    [['stop', false], 'end_turn'],
    [['stop', true], 'stop_sequence'],
    [['length', false], 'max_tokens'],
    [['tool_calls', false], 'tool_use'],
  ];
  for (const [args, expected] of cases) {
    it(`maps ${args.join(' / ')} to ${expected}`, () => assert.equal(mapToBedrockStopReason(...args), expected));
  }
});

describe('Converse answers', () => {
  const toolReply: ChatReply = {
    choices: [
      {
        index: 0,
        content: null,
        toolCalls: [
          { id: 'call_1', name: 'lookup', arguments: '{"q":"cats and dogs"}' },
          { id: 'call_2', name: 'weather', arguments: '{"city":"Oslo"}' },
        ],
        finishReason: 'tool_calls',
        completionTokens: 9,
      },
    ],
    promptTokens: 20,
    completionTokens: 9,
  };

  it('renders tool calls as toolUse blocks with tooluse_ ids and parsed input', () => {
    const answer = toBedrockAnswer(toolReply, 'tool_use');
    assert.deepEqual(answer.usage, { inputTokens: 20, outputTokens: 9, totalTokens: 29 });
    const [first, second] = answer.content;
    assert.ok(first !== undefined && 'toolUse' in first && second !== undefined && 'toolUse' in second);
    assert.match(first.toolUse.toolUseId, /^tooluse_[A-Za-z0-9_-]{22}$/);
    assert.notEqual(first.toolUse.toolUseId, second.toolUse.toolUseId);
    assert.deepEqual(first.toolUse.input, { q: 'cats and dogs' });
    const body = buildBedrockConverseResponse(answer, 7);
    assert.deepEqual(body, {
      output: { message: { role: 'assistant', content: answer.content } },
      stopReason: 'tool_use',
      usage: answer.usage,
      metrics: { latencyMs: 7 },
    });
  });

  it('streams each tool block as start, input fragments, stop, with its own index', () => {
    const events = buildBedrockConverseStreamEvents(toBedrockAnswer(toolReply, 'tool_use'), 7);
    const shape = events.map((event) => `${event.eventType}${'contentBlockIndex' in event.payload ? `#${String(event.payload.contentBlockIndex)}` : ''}`);
    assert.deepEqual(shape, [
      'messageStart',
      'contentBlockStart#0',
      'contentBlockDelta#0',
      'contentBlockDelta#0',
      'contentBlockDelta#0',
      'contentBlockStop#0',
      'contentBlockStart#1',
      'contentBlockDelta#1',
      'contentBlockDelta#1',
      'contentBlockDelta#1',
      'contentBlockStop#1',
      'messageStop',
      'metadata',
    ]);
    assert.deepEqual(events.at(-1)?.payload, { usage: { inputTokens: 20, outputTokens: 9, totalTokens: 29 }, metrics: { latencyMs: 7 } });
  });

  it('streams text as deltas without a contentBlockStart', () => {
    const answer: BedrockAnswer = {
      content: [{ text: 'one two three four five' }],
      stopReason: 'end_turn',
      usage: { inputTokens: 1, outputTokens: 5, totalTokens: 6 },
    };
    const events = buildBedrockConverseStreamEvents(answer, 1);
    assert.equal(
      events.some((event) => event.eventType === 'contentBlockStart'),
      false,
    );
    const text = events.flatMap((event) => (event.eventType === 'contentBlockDelta' ? [(event.payload.delta as { text: string }).text] : [])).join('');
    assert.equal(text, 'one two three four five');
    assert.deepEqual(events.find((event) => event.eventType === 'messageStop')?.payload, { stopReason: 'end_turn' });
  });
});
