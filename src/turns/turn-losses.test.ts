// Tests of what a Responses turn loses on a route: the notes for reasoning items it cannot send there, told apart by
// whether they carry a cloud's encrypted content or only text (a chat route's reasoning).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { routeSchema } from '../catalog/index.ts';
import { markReasoningOrigin } from '../runtime/index.ts';
import type { ResponseItem } from '../wire/index.ts';
import { lossesOn } from './turn-losses.ts';

const base = { model: 'm', endpoint: 'https://example.invalid', region: 'r' };
const chatRoute = routeSchema.parse({ ...base, id: 'chat-route', provider: 'bedrock', capabilities: ['tools'] });
const nativeRoute = routeSchema.parse({ ...base, id: 'native-route', provider: 'openai', capabilities: ['tools', 'responses'] });
const text: ResponseItem = { type: 'reasoning', id: 'rs_1', summary: [], content: [{ type: 'reasoning_text', text: 'why' }], status: 'completed' };
const encrypted: ResponseItem = markReasoningOrigin({ type: 'reasoning', id: 'rs_2', summary: [], encrypted_content: 'blob' }, 'openai');
const none = { hostedTools: [] };

describe('lossesOn', () => {
  const cases: Array<[string, typeof chatRoute, ResponseItem[], string[]]> = [
    [
      'a text-only reasoning item on a chat route',
      chatRoute,
      [text],
      ['1 reasoning item without encrypted content dropped: route chat-route takes no reasoning text back'],
    ],
    [
      'two text-only items on a native route',
      nativeRoute,
      [text, text],
      ['2 reasoning items without encrypted content dropped: route native-route takes no reasoning text back'],
    ],
    [
      'an encrypted item on a chat route',
      chatRoute,
      [encrypted],
      ['1 reasoning item dropped: only the cloud that encrypted them can read them, and route chat-route cannot'],
    ],
    ['an encrypted item back on its own cloud is no loss', nativeRoute, [encrypted], []],
  ];
  for (const [name, route, items, notes] of cases) {
    test(name, () => assert.deepEqual(lossesOn(route, none, items), { droppedTools: [], notes }));
  }
});
