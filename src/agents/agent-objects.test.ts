// Agent settings, a session's resolved agent and usage totals, as the official types declare them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addUsage, applyAgentSettings, newAgentSettings, resolveSessionAgent, updateSessionAgent } from './agent-objects.ts';

describe('agent objects', () => {
  const saved = newAgentSettings({ model: 'gpt-5.5', name: 'Saved', instructions: 'Be brief.', metadata: { team: 'ops' }, reasoning: { effort: 'low' } });

  it('applies updates: an absent field keeps its value, null resets it to the default', () => {
    const updated = applyAgentSettings(saved, { instructions: null, service_tier: 'flex', reasoning: null });
    assert.equal(updated.instructions, null);
    assert.equal(updated.name, 'Saved');
    assert.equal(updated.service_tier, 'flex');
    assert.deepEqual(updated.reasoning, { effort: null, summary: null });
    assert.deepEqual(applyAgentSettings(saved, { compaction: null }).compaction, { async: true });
    assert.deepEqual(applyAgentSettings(saved, { compaction: { async: false } }).compaction, { async: false });
    // The saved settings are not changed.
    assert.equal(saved.instructions, 'Be brief.');
  });

  it("resolves a session's agent: the inline fields over the saved agent's, without its metadata", () => {
    const agent = resolveSessionAgent('agent_1', saved, { model: 'gpt-5.5-mini', instructions: 'Answer in French.' });
    assert.equal(agent.id, 'agent_1');
    assert.equal(agent.model, 'gpt-5.5-mini');
    assert.equal(agent.instructions, 'Answer in French.');
    assert.equal(agent.name, 'Saved');
    assert.equal('metadata' in agent, false);
    const updated = updateSessionAgent(agent, { reasoning: { effort: 'high' }, service_tier: null, tools: null });
    assert.deepEqual(updated.reasoning, { effort: 'high', summary: null });
    assert.equal(updated.service_tier, 'auto');
    assert.deepEqual(updated.tools, []);
  });

  it('adds a step usage to a total', () => {
    const step = {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 2, cache_write_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 15,
    };
    const once = addUsage(null, step);
    assert.deepEqual(addUsage(once, step), {
      input_tokens: 20,
      input_tokens_details: { cached_tokens: 4 },
      output_tokens: 10,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 30,
    });
    assert.equal(addUsage(null, null), null);
  });
});
