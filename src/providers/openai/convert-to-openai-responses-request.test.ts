// Tests of the stateless upstream body of a native Responses call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildOpenAIResponsesBody } from './convert-to-openai-responses-request.ts';

const input = [{ type: 'message', role: 'user', content: 'Hi' }];

test('model replaced, store false, stream as asked, every other field kept', () => {
  const body = { model: 'gpt-5.5', input, tools: [{ type: 'function', name: 'f' }], metadata: { a: 'b' }, temperature: 0.2 };
  assert.deepEqual(buildOpenAIResponsesBody(body, 'deployment-1', true), {
    model: 'deployment-1',
    input,
    tools: [{ type: 'function', name: 'f' }],
    metadata: { a: 'b' },
    temperature: 0.2,
    store: false,
    stream: true,
  });
  assert.equal(buildOpenAIResponsesBody({ ...body, stream: true }, 'd', false).stream, false);
});

test('upstream state, background and Crossway fields are dropped; the caller body is untouched', () => {
  const body = {
    model: 'gpt-5.5',
    input,
    store: true,
    previous_response_id: 'resp_1',
    conversation: 'conv_1',
    background: true,
    crossway: { prefer: 'price' },
    models: ['b'],
  };
  const copy = structuredClone(body);
  assert.deepEqual(buildOpenAIResponsesBody(body, 'm', false), { model: 'm', input, store: false, stream: false });
  assert.deepEqual(body, copy);
});

test('an undefined model leaves `model` out (a URL that names the deployment)', () => {
  assert.equal('model' in buildOpenAIResponsesBody({ model: 'x', input }, undefined, false), false);
});
