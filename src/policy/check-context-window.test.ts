import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatCompletionRequestSchema } from '../wire/index.ts';
import { checkContextWindow } from './check-context-window.ts';
import { deriveRequestNeeds } from './derive-request-needs.ts';
import { makeNeeds, makeRoute } from './test-plan-input.ts';
import type { RouteCheckContext } from './route-check.ts';

function contextFor(text: string): RouteCheckContext {
  const request = chatCompletionRequestSchema.parse({ model: 'm', messages: [{ role: 'user', content: text }] });
  return { needs: deriveRequestNeeds(request) } as RouteCheckContext;
}

describe('checkContextWindow', () => {
  it('keeps a request whose byte bound is over the window but whose real token count fits', () => {
    // ~400 bytes of common words are ~100 tokens: the bound (bytes) says no, the tokenizer says yes.
    const text = 'the quick brown fox jumps over the lazy dog '.repeat(9);
    const context = contextFor(text);
    assert.ok(context.needs.inputTokens > 200);
    assert.deepEqual(checkContextWindow(makeRoute({ limits: { context: 200 } }), context), []);
  });

  it('rejects a request whose real token count does not fit', () => {
    const context = contextFor('the quick brown fox jumps over the lazy dog '.repeat(40));
    const reasons = checkContextWindow(makeRoute({ limits: { context: 200 } }), context);
    assert.equal(reasons[0]?.code, 'context_window');
  });

  it('never counts exactly when the bound fits', () => {
    let counted = 0;
    const needs = makeNeeds({ inputTokens: 50, exactInputTokens: () => ++counted });
    assert.deepEqual(checkContextWindow(makeRoute({ limits: { context: 1000 } }), { needs } as RouteCheckContext), []);
    assert.equal(counted, 0);
  });
});
