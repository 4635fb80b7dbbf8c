// The bounds of the Agents API's request bodies, as a table of named cases: each refused body names its parameter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrosswayError, parseRequest } from '../wire/index.ts';
import { agentCreateRequestSchema, MAX_AGENT_TOOLS, sessionEventsRequestSchema } from './agent-schemas.ts';

const tool = (name: string) => ({ type: 'function', name, description: '', parameters: {} });
const message = { type: 'agent.session.input.message', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }] };

describe('Agents API request bounds', () => {
  const refused: [string, typeof agentCreateRequestSchema | typeof sessionEventsRequestSchema, unknown, RegExp][] = [
    ['too many tools', agentCreateRequestSchema, { model: 'm', tools: Array.from({ length: MAX_AGENT_TOOLS + 1 }, (_, i) => tool(`t${i}`)) }, /tools/],
    ['two tools of one name', agentCreateRequestSchema, { model: 'm', tools: [tool('a'), tool('a')] }, /unique/],
    [
      'a tool list over 3 MiB',
      agentCreateRequestSchema,
      { model: 'm', tools: [{ ...tool('big'), description: 'x'.repeat(16_000), parameters: { x: 'y'.repeat(3_200_000) } }] },
      /3145728 bytes/,
    ],
    ['an unknown agent field', agentCreateRequestSchema, { model: 'm', colour: 'blue' }, /colour/],
    ['no events', sessionEventsRequestSchema, { events: [] }, /events/],
    ['too many events', sessionEventsRequestSchema, { events: Array.from({ length: 65 }, () => message) }, /events/],
    ['an unknown event type', sessionEventsRequestSchema, { events: [{ type: 'agent.session.input.nonsense' }] }, /events\[0\]/],
    ['an empty message', sessionEventsRequestSchema, { events: [{ ...message, input: [] }] }, /events\[0\]\.input/],
  ];
  for (const [name, schema, body, pattern] of refused) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => parseRequest(schema, body),
        (error: unknown) => error instanceof CrosswayError && error.status === 400 && pattern.test(error.message),
      );
    });
  }

  it('accepts a full agent and every input event the types declare', () => {
    parseRequest(agentCreateRequestSchema, {
      model: 'm',
      name: 'n',
      instructions: 'i',
      metadata: { a: 'b' },
      tools: [tool('a')],
      reasoning: { effort: 'low', summary: 'auto' },
      text: { format: { type: 'text' }, verbosity: 'low' },
      multi_agent: { enabled: false },
      service_tier: 'auto',
      compaction: { async: true },
      experimental: { time_awareness: true },
    });
    parseRequest(sessionEventsRequestSchema, {
      events: [
        message,
        { type: 'agent.session.input.cancel' },
        { type: 'agent.session.input.tool_result', turn_id: 't', call_id: 'c', success: true, output: 'ok' },
        { type: 'agent.session.input.mcp_approval_request_result', request_id: 'r', response: { type: 'mcp_tool_call', decision: 'deny' } },
      ],
    });
  });
});
