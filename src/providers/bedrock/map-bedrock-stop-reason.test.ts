// Tests of mapping every Bedrock stop reason to OpenAI's finish reason.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { FinishReason } from '../../wire/index.ts';
import { mapBedrockStopReason } from './map-bedrock-stop-reason.ts';

/** Every StopReason of the service model, plus one it may add later (shared with the reply and stream tests). */
const BEDROCK_STOP_REASONS = JSON.parse(readFileSync(new URL('./__fixtures__/bedrock-stop-reasons.json', import.meta.url), 'utf8')) as [string, FinishReason][];

for (const [stopReason, finishReason] of BEDROCK_STOP_REASONS) {
  test(`${stopReason} -> ${finishReason}`, () => {
    assert.equal(mapBedrockStopReason(stopReason), finishReason);
  });
}
