// The request-log row of an agent session step, for each way a step ends: answered, failed once streaming, failed
// before its call (the error's status and attempts), and the summarising call of a compaction.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallInfo } from '../calls/index.ts';
import type { CompactionCall } from '../turns/index.ts';
import { NoRouteAvailableError } from '../wire/index.ts';
import type { AgentStepResult } from './agent-step.ts';
import { toAgentStepLogRow } from './agent-step-log.ts';

const START = { requestId: 'req_1', sessionId: 'sess_1', model: 'gpt-5.5', createdAt: '2026-12-07T20:00:00.000Z', startedAt: 100 };
const INFO = { decisionId: 'dec_1', route: { id: 'azure-east' }, attempts: 2 } as unknown as CallInfo;
const USAGE = { input_tokens: 40, output_tokens: 7, total_tokens: 47, input_tokens_details: { cached_tokens: 8 } };

function step(response: Record<string, unknown>): AgentStepResult {
  return { result: { response, output: [], route: null, usageEventId: 'evt_1' }, calls: 0, info: INFO, mcpCalls: [] } as unknown as AgentStepResult;
}

describe('toAgentStepLogRow', () => {
  const cases: [string, Parameters<typeof toAgentStepLogRow>[1], Record<string, unknown>][] = [
    [
      'an answered step',
      { step: step({ status: 'completed', usage: USAGE }) },
      {
        endpoint: 'agents.sessions.step',
        route: 'azure-east',
        decision_id: 'dec_1',
        attempts: 2,
        status: 200,
        error_code: null,
        prompt_tokens: 40,
        completion_tokens: 7,
        cached_tokens: 8,
      },
    ],
    [
      'a step whose stream failed',
      { step: step({ status: 'failed', usage: null, error: { code: 'server_error', message: 'x' } }) },
      { route: 'azure-east', status: 502, error_code: 'server_error', prompt_tokens: null },
    ],
    [
      'a step that failed before any route answered',
      { error: new NoRouteAvailableError('gpt-5.5', []) },
      { route: null, attempts: 0, prompt_tokens: null, decision_id: null },
    ],
    [
      'a compaction call',
      { compaction: { info: INFO, usage: USAGE } as unknown as CompactionCall },
      { endpoint: 'agents.sessions.compact', route: 'azure-east', decision_id: 'dec_1', status: 200, prompt_tokens: 40, completion_tokens: 7 },
    ],
  ];
  for (const [name, outcome, expected] of cases) {
    it(name, () => {
      const row = toAgentStepLogRow(START, outcome, 350.4);
      assert.equal(row.id, 'req_1');
      assert.equal(row.session_id, 'sess_1');
      assert.equal(row.model, 'gpt-5.5');
      assert.equal(row.duration_ms, 250);
      assert.equal(row.stream, true);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(row[key as keyof typeof row], value, key);
      if ('error' in outcome) assert.ok(row.status >= 400 && row.error_code !== null);
    });
  }
});
