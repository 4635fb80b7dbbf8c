// Tests of mapping chat finish reasons to a Response's status and incomplete_details.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FinishReason } from '../wire/index.ts';
import { mapFinishReasonToResponseStatus, type ResponseEnding } from './map-finish-reason-to-response-status.ts';

const CASES: Array<[FinishReason | null | undefined, ResponseEnding]> = [
  ['stop', { status: 'completed', incomplete_details: null }],
  ['tool_calls', { status: 'completed', incomplete_details: null }],
  ['function_call', { status: 'completed', incomplete_details: null }],
  ['length', { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }],
  ['content_filter', { status: 'incomplete', incomplete_details: { reason: 'content_filter' } }],
  [null, { status: 'completed', incomplete_details: null }],
  [undefined, { status: 'completed', incomplete_details: null }],
];

for (const [finishReason, ending] of CASES) {
  test(`${String(finishReason)} -> ${ending.status}${ending.incomplete_details === null ? '' : ` (${ending.incomplete_details.reason})`}`, () => {
    assert.deepEqual(mapFinishReasonToResponseStatus(finishReason), ending);
  });
}
