import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatCompletionRequestSchema } from '../wire/index.ts';
import { checkContextWindow, needsExactInputCount } from './check-context-window.ts';
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

describe('needsExactInputCount', () => {
  it('is true exactly when the bound plus the requested output exceeds some route window', () => {
    const needs = contextFor('the quick brown fox jumps over the lazy dog '.repeat(9)).needs;
    assert.equal(needsExactInputCount(needs, [makeRoute({ limits: { context: 200 } })]), true);
    assert.equal(needsExactInputCount(needs, [makeRoute({ limits: { context: 100_000 } }), makeRoute({ limits: {} })]), false);
    assert.equal(needsExactInputCount({ ...needs, maxOutputTokens: 100_000 }, [makeRoute({ limits: { context: 100_000 } })]), true);
    assert.equal(needsExactInputCount({ ...needs, exactInputTokens: undefined }, [makeRoute({ limits: { context: 200 } })]), false);
  });

  it('lets a request of a million characters of prose be sized exactly (counted ahead in slices), not by its bound', async () => {
    const text = 'The booking reference for my flight to Lisbon was changed yesterday, and nobody told me why. '.repeat(11_000);
    const route = makeRoute({ limits: { context: 300_000 } });
    const synchronous = contextFor(text);
    // Counted on the spot, only one work budget's worth is exact: the rest counts as bytes and the route is refused.
    assert.equal(checkContextWindow(route, synchronous)[0]?.code, 'context_window');
    const measured = contextFor(text);
    await measured.needs.measureExactInputTokens?.();
    assert.deepEqual(checkContextWindow(route, measured), []);
  });
});
