// Tests of the Response object: OpenAI's defaults, the request's settings echoed, and the official client's shape.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type {
  Response,
  ResponseOutputMessage,
  ResponseOutputRefusal,
  ResponseOutputText,
  ResponseUsage,
  ResponseFunctionToolCall,
  ResponseCustomToolCall,
  ResponseToolSearchCall,
  FunctionTool,
} from 'openai/resources/responses/responses';
import { parseRequest, responseCreateRequestSchema, type ResponseObject } from '../wire/index.ts';
import { buildResponseObject, type BuildResponseObjectInput } from './build-response-object.ts';

// The client's Response type, relaxed only where OpenAI's JSON carries null for fields the SDK types as optional
// (`usage`, `user`), where Crossway widens a field (error codes, service tier, annotations and logprobs it never
// fills), and without what the SDK computes or adds (`output_text`, `access_programs`).
type SdkOutputText = Omit<ResponseOutputText, 'annotations' | 'logprobs'> & { annotations: unknown[]; logprobs?: unknown[] };
// Reasoning and hosted tool call items are relayed from a native route as the cloud sent them.
type SdkOutputItem =
  | (Omit<ResponseOutputMessage, 'content'> & { content: Array<SdkOutputText | ResponseOutputRefusal> })
  | ResponseFunctionToolCall
  | ResponseCustomToolCall
  | ResponseToolSearchCall
  | ({ type: 'reasoning' | 'web_search_call' | 'file_search_call' | 'code_interpreter_call' | 'image_generation_call' } & Record<string, unknown>);
// Non-function tools are echoed as the request gave them.
type SdkResponseJson = Omit<Response, 'output_text' | 'access_programs' | 'usage' | 'user' | 'error' | 'service_tier' | 'output' | 'tools'> & {
  tools: Array<FunctionTool | Record<string, unknown>>;
  output: SdkOutputItem[];
  usage: ResponseUsage | null;
  user: string | null;
  error: { code: string; message: string } | null;
  service_tier: string;
};

function build(body: Record<string, unknown>, overrides: Partial<BuildResponseObjectInput> = {}): ResponseObject {
  return buildResponseObject({
    id: 'resp_1',
    created_at: 1_741_476_777,
    status: 'in_progress',
    model: 'gpt-4o',
    request: parseRequest(responseCreateRequestSchema, { model: 'gpt-4o', input: 'hi', ...body }),
    output: [],
    usage: null,
    error: null,
    incomplete_details: null,
    previous_response_id: null,
    conversation: null,
    ...overrides,
  });
}

describe('buildResponseObject', () => {
  test("a minimal request gets OpenAI's defaults (as in the API reference's example)", () => {
    const response: SdkResponseJson = build({});
    assert.deepEqual(response, {
      id: 'resp_1',
      object: 'response',
      created_at: 1_741_476_777,
      status: 'in_progress',
      background: false,
      completed_at: null,
      error: null,
      incomplete_details: null,
      instructions: null,
      max_output_tokens: null,
      max_tool_calls: null,
      model: 'gpt-4o',
      output: [],
      parallel_tool_calls: true,
      previous_response_id: null,
      prompt_cache_key: null,
      reasoning: { effort: null, summary: null },
      safety_identifier: null,
      service_tier: 'default',
      store: true,
      temperature: 1,
      text: { format: { type: 'text' }, verbosity: 'medium' },
      tool_choice: 'auto',
      tools: [],
      top_logprobs: 0,
      top_p: 1,
      truncation: 'disabled',
      usage: null,
      user: null,
      metadata: {},
      conversation: null,
    });
  });

  test("the request's settings are echoed", () => {
    const response = build(
      {
        instructions: 'Be brief.',
        max_output_tokens: 100,
        temperature: 0.3,
        top_p: 0.5,
        store: false,
        background: true,
        parallel_tool_calls: false,
        truncation: 'auto',
        metadata: { team: 'a' },
        user: 'u1',
        reasoning: { effort: 'high' },
        text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' } }, verbosity: 'low' },
        tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
        tool_choice: { type: 'function', name: 'f' },
      },
      { previous_response_id: 'resp_0', conversation: 'conv_1' },
    );
    assert.equal(response.instructions, 'Be brief.');
    assert.equal(response.max_output_tokens, 100);
    assert.equal(response.temperature, 0.3);
    assert.equal(response.top_p, 0.5);
    assert.equal(response.store, false);
    assert.equal(response.background, true);
    assert.equal(response.parallel_tool_calls, false);
    assert.equal(response.truncation, 'auto');
    assert.deepEqual(response.metadata, { team: 'a' });
    assert.equal(response.user, 'u1');
    assert.deepEqual(response.reasoning, { effort: 'high', summary: null });
    assert.deepEqual(response.text, { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: null }, verbosity: 'low' });
    assert.deepEqual(response.tools, [{ type: 'function', name: 'f', description: null, parameters: { type: 'object' }, strict: null }]);
    assert.deepEqual(response.tool_choice, { type: 'function', name: 'f' });
    assert.equal(response.previous_response_id, 'resp_0');
    assert.deepEqual(response.conversation, { id: 'conv_1' });
  });

  test('completed_at is set only for a completed response', () => {
    assert.equal(build({}, { status: 'completed', completed_at: 1_741_476_778 }).completed_at, 1_741_476_778);
    const now = Math.floor(Date.now() / 1000);
    const defaulted = build({}, { status: 'completed' }).completed_at;
    assert.ok(defaulted !== null && defaulted >= now);
    assert.equal(build({}, { status: 'incomplete', completed_at: 5 }).completed_at, null);
    assert.equal(build({}, { status: 'failed', error: { code: 'server_error', message: 'x' } }).completed_at, null);
  });

  test('output, usage and errors are carried as given', () => {
    const output = [{ type: 'function_call' as const, id: 'fc_1', status: 'completed' as const, call_id: 'c', name: 'f', arguments: '{}' }];
    const usage = {
      input_tokens: 1,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: 2,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 3,
    };
    const response = build({}, { status: 'failed', output, usage, error: { code: 'all_routes_failed', message: 'All routes failed.' } });
    assert.deepEqual(response.output, output);
    assert.notEqual(response.output, output);
    assert.deepEqual(response.usage, usage);
    assert.deepEqual(response.error, { code: 'all_routes_failed', message: 'All routes failed.' });
  });
});
