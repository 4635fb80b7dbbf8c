// The Responses API as Codex uses it, with the official `openai` client over the demo catalog: custom tools round trip
// on a chat route, a Converse route and a native route (streamed too); hosted tools preferred where a cloud runs them,
// dropped elsewhere (header and decision) or refused (policy, forced tool_choice); reasoning items sent back only to
// the cloud that encrypted them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ResponseInputItem, Tool } from 'openai/resources/responses/responses';
import { startDemoStack, type DemoStack } from './support/start-demo-stack.ts';

const GRAMMAR = 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\nend_patch: "*** End Patch" LF?\n';
const PATCH_TOOL: Tool = { type: 'custom', name: 'apply_patch', description: 'Edit files.', format: { type: 'grammar', syntax: 'lark', definition: GRAMMAR } };
const PATCH = '*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n';
const PROMPT = `Use apply_patch with\n\`\`\`\n${PATCH}\`\`\``;

interface JournalEntry {
  path: string;
  body: Record<string, unknown> | null;
}

describe('Responses as Codex uses it', { timeout: 120_000 }, () => {
  let stack: DemoStack;
  before(async () => {
    stack = await startDemoStack();
  });
  after(() => stack?.close());

  async function journal(cloud: 'openai' | 'azure' | 'bedrock' | 'vertex'): Promise<JournalEntry[]> {
    const emulator = stack.demo.emulators.emulators[cloud];
    assert.ok(emulator !== undefined);
    return ((await (await fetch(`${emulator.url}/__emulator/requests`)).json()) as { data: JournalEntry[] }).data;
  }

  async function decision(id: string | null): Promise<{ notes?: string[]; kept: Array<{ route: string; basis: string }> }> {
    // Decisions are written in the background: wait until this one is readable.
    for (;;) {
      const response = await fetch(`${stack.gateway.url}/v1/crossway/decisions/${id}`, { headers: { authorization: `Bearer ${stack.demo.masterKey}` } });
      if (response.status === 200) return (await response.json()) as { notes?: string[]; kept: Array<{ route: string; basis: string }> };
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  const routes = [
    { name: 'a chat route (Bedrock chat completions)', model: 'route:bedrock-us-east-2-gpt-5.5', cloud: 'bedrock' },
    { name: 'a Converse route (Bedrock)', model: 'route:bedrock-us-west-2-gpt-oss-120b', cloud: 'bedrock' },
    { name: 'a native route (OpenAI Responses)', model: 'route:openai-global-gpt-5.5', cloud: 'openai' },
  ] as const;
  for (const route of routes) {
    it(`round-trips a custom tool on ${route.name}, stateless as Codex runs`, async () => {
      const first = await stack.client.responses.create({ model: route.model, input: PROMPT, tools: [PATCH_TOOL], store: false });
      const call = first.output.find((item) => item.type === 'custom_tool_call');
      assert.ok(call !== undefined && call.type === 'custom_tool_call', JSON.stringify(first.output));
      assert.equal(call.name, 'apply_patch');
      assert.equal(call.input, PATCH);
      const history: ResponseInputItem[] = [
        { role: 'user', content: PROMPT },
        { type: 'custom_tool_call', call_id: call.call_id, name: call.name, input: call.input },
        { type: 'custom_tool_call_output', call_id: call.call_id, output: 'Success. Updated the following files: A a.txt' },
      ];
      const second = await stack.client.responses.create({ model: route.model, input: history, tools: [PATCH_TOOL], store: false });
      assert.match(second.output_text, new RegExp(`Emulated reply from ${route.cloud} after apply_patch returned a result`));
    });
  }

  it('streams a custom tool call on a chat route as the custom tool input events', async () => {
    const stream = await stack.client.responses.create({ model: 'route:azure-swedencentral-gpt-5.5', input: PROMPT, tools: [PATCH_TOOL], stream: true });
    const types: string[] = [];
    let input = '';
    let done: unknown = null;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.custom_tool_call_input.delta') input += event.delta;
      if (event.type === 'response.custom_tool_call_input.done') done = event.input;
    }
    assert.equal(input, PATCH);
    assert.equal(done, PATCH);
    assert.equal(types.includes('response.function_call_arguments.delta'), false);
    assert.equal(types.at(-1), 'response.completed');
  });

  it('prefers a route whose cloud runs a hosted tool, and sends the tool there', async () => {
    const before = (await journal('openai')).length;
    const { data, response } = await stack.client.responses
      .create({ model: 'gpt-5.5', input: 'hi', tools: [{ type: 'web_search', search_context_size: 'low' }] })
      .withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'openai-global-gpt-5.5.shared');
    assert.equal(response.headers.get('x-crossway-dropped-tools'), null);
    assert.equal(data.status, 'completed');
    const sent = (await journal('openai')).slice(before).find((entry) => entry.path === '/v1/responses');
    assert.deepEqual(sent?.body?.tools, [{ type: 'web_search', search_context_size: 'low' }]);
  });

  it('drops a hosted tool no kept route runs, naming it in x-crossway-dropped-tools and the decision', async () => {
    const { data, response } = await stack.client.responses
      .create({
        model: 'route:bedrock-us-east-2-gpt-5.5',
        input: 'hi',
        tools: [{ type: 'web_search' }, { type: 'code_interpreter', container: { type: 'auto' } }],
      })
      .withResponse();
    assert.equal(data.status, 'completed');
    assert.equal(response.headers.get('x-crossway-dropped-tools'), 'web_search, code_interpreter');
    const recorded = await decision(response.headers.get('x-crossway-decision'));
    assert.deepEqual(recorded.notes, [
      'hosted tool web_search dropped: route bedrock-us-east-2-gpt-5.5 does not run it',
      'hosted tool code_interpreter dropped: route bedrock-us-east-2-gpt-5.5 does not run it',
    ]);
    assert.match(recorded.kept[0]?.basis ?? '', /drops web_search, code_interpreter/);
  });

  it('refuses a hosted tool under hosted_tools: refuse (header or body), naming the tool', async () => {
    const viaHeader = await stack.client.responses
      .create({ model: 'route:bedrock-us-east-2-gpt-5.5', input: 'hi', tools: [{ type: 'web_search' }] }, { headers: { 'x-crossway-hosted-tools': 'refuse' } })
      .then(
        () => null,
        (error: unknown) => error,
      );
    assert.equal((viaHeader as { status?: number }).status, 400);
    assert.match(String((viaHeader as Error).message), /does not run web_search \(hosted_tools: refuse\)/);
    const viaBody = await fetch(`${stack.gateway.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.demo.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'route:bedrock-us-east-2-gpt-5.5', input: 'hi', tools: [{ type: 'file_search' }], crossway: { hosted_tools: 'refuse' } }),
    });
    assert.equal(viaBody.status, 400);
    assert.match(((await viaBody.json()) as { error: { message: string } }).error.message, /does not run file_search/);
  });

  it('refuses a forced hosted tool that no route can run, and serves it where a route can', async () => {
    const refused = await stack.client.responses
      .create({ model: 'route:azure-eastus2-gpt-5.5', input: 'hi', tools: [{ type: 'web_search' }], tool_choice: { type: 'web_search_preview' } })
      .then(
        () => null,
        (error: unknown) => error,
      );
    assert.equal((refused as { status?: number }).status, 400);
    assert.match(String((refused as Error).message), /does not run web_search \(forced by tool_choice\)/);
    const { response } = await stack.client.responses
      .create({ model: 'gpt-5.5', input: 'hi', tools: [{ type: 'web_search' }], tool_choice: { type: 'web_search_preview' } })
      .withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'openai-global-gpt-5.5.shared');
  });

  it('sends reasoning items back only to the cloud that encrypted them, and says what it dropped elsewhere', async () => {
    const reasoning: ResponseInputItem = { type: 'reasoning', id: 'rs_abc', summary: [], encrypted_content: 'crossway.reasoning.v1.openai.opaque-openai-blob' };
    const input: ResponseInputItem[] = [
      { role: 'user', content: 'hi' },
      reasoning,
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'again' },
    ];
    const before = (await journal('openai')).length;
    await stack.client.responses.create({ model: 'route:openai-global-gpt-5.5', input, store: false, include: ['reasoning.encrypted_content'] });
    const sent = (await journal('openai')).slice(before).find((entry) => entry.path === '/v1/responses');
    assert.deepEqual(
      ((sent?.body?.input ?? []) as Array<Record<string, unknown>>).filter((item) => item.type === 'reasoning'),
      [{ type: 'reasoning', summary: [], encrypted_content: 'opaque-openai-blob', id: 'rs_abc' }],
    );
    const { response } = await stack.client.responses.create({ model: 'route:azure-eastus2-gpt-5.5', input, store: false }).withResponse();
    const recorded = await decision(response.headers.get('x-crossway-decision'));
    assert.deepEqual(recorded.notes, ['1 reasoning item dropped: only the cloud that encrypted them can read them, and route azure-eastus2-gpt-5.5 cannot']);
  });

  it('answers a compaction_trigger turn (Codex remote compaction) with one compaction item that a later turn reads', async () => {
    const input: ResponseInputItem[] = [
      { role: 'user', content: 'Remember the word quartz' },
      { role: 'assistant', content: 'I will.' },
      { type: 'compaction_trigger' } as unknown as ResponseInputItem,
    ];
    const compacted = await stack.client.responses.create({ model: 'route:bedrock-us-east-2-gpt-5.5', input, store: false, stream: true });
    const done: Array<Record<string, unknown>> = [];
    let final: { output: unknown[] } | null = null;
    for await (const event of compacted) {
      if (event.type === 'response.output_item.done') done.push(event.item as unknown as Record<string, unknown>);
      if (event.type === 'response.completed') final = event.response as unknown as { output: unknown[] };
    }
    assert.equal(done.length, 1);
    assert.equal(done[0]?.type, 'compaction');
    assert.match(String(done[0]?.encrypted_content), /^crossway\.compaction\.v2\./);
    assert.deepEqual(final?.output, done);
    const next = await stack.client.responses.create({
      model: 'route:bedrock-us-east-2-gpt-5.5',
      input: [done[0] as unknown as ResponseInputItem, { role: 'user', content: 'Go on' }],
      store: false,
    });
    assert.match(next.output_text, /Emulated reply from bedrock to 2 messages/);
  });
});
