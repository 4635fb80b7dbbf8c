// Metering and the ledger end to end: every call priced into double-entry transfers before its response completes,
// usage reports per tenant, a revenue-share statement that reaches its cap exactly, a stream cut by the client
// metered for what it produced, `crossway ledger statement|verify`, and no secret in the ledger.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { divideRoundHalfUp, formatMoney, parseMoney } from '../src/metering/index.ts';
import { runCrosswayInProcess } from './support/run-crossway.ts';
import { startStack, type Stack } from './support/start-stack.ts';
import { waitFor } from './support/wait-for.ts';

// The stack's gpt-5.5 routes cost 5 USD per 1M input, 0.5 cached, 30 output tokens.
const AGREEMENT = {
  id: 'partner-share',
  licensor: 'openai',
  revenue_share: {
    payer: 'openai',
    payee: 'partner',
    rate: 0.2,
    scope: ['openai'],
    from: '2026-01-01',
    until: '2030-12-31',
    cap: { amount: '0.000500', currency: 'USD' },
  },
};

function costOf(usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens?: number } | null }): bigint {
  const cached = BigInt(usage.prompt_tokens_details?.cached_tokens ?? 0);
  const input = BigInt(usage.prompt_tokens);
  return divideRoundHalfUp((input - cached) * 5_000_000n + cached * 500_000n + BigInt(usage.completion_tokens) * 30_000_000n, 1_000_000n);
}

describe('metering and the ledger', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ agreements: [AGREEMENT] });
  });
  after(() => stack.close());

  it('prices every call with the route price book and the tenant margin, reported per group', async () => {
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'metered', name: 'Metered', margin: '0.25' })).status, 201);
    const created = (await stack.api('POST', '/admin/keys', { tenant: 'metered', name: 'meter' })).body as { id: string; key: string };
    const client = stack.clientFor(created.key);
    let cost = 0n;
    let charged = 0n;
    let input = 0;
    let output = 0;
    for (const model of ['via-azure-v1', 'via-openai', 'via-openai']) {
      const reply = await client.chat.completions.create({ model, messages: [{ role: 'user', content: `price ${model} please` }] });
      const usage = reply.usage!;
      const one = costOf(usage);
      cost += one;
      charged += divideRoundHalfUp(one * 125n, 100n);
      input += usage.prompt_tokens;
      output += usage.completion_tokens;
    }
    const report = await stack.api('GET', '/admin/usage?tenant=metered&group_by=route');
    assert.equal(report.status, 200);
    assert.deepEqual(
      report.body.data.map((row: { group: string; requests: number }) => [row.group, row.requests]),
      [
        ['azure-v1-only', 1],
        ['openai-only', 2],
      ],
    );
    assert.equal(report.body.total.requests, 3);
    assert.equal(report.body.total.input_tokens, input);
    assert.equal(report.body.total.output_tokens, output);
    assert.equal(report.body.total.cost, formatMoney(cost));
    assert.equal(report.body.total.charged, formatMoney(charged));
    assert.equal(report.body.total.currency, 'USD');
    const byKey = await stack.api('GET', '/admin/usage?tenant=metered&group_by=key');
    assert.deepEqual(
      byKey.body.data.map((row: { group: string }) => row.group),
      [created.id],
    );
    const window = await stack.api('GET', '/admin/usage?tenant=metered&from=2000-01-01&to=2000-01-02');
    assert.deepEqual(window.body.data, []);
    assert.equal((await stack.api('GET', '/admin/usage?group_by=colour')).status, 400);
  });

  it('commits the usage event before the response completes: readable the moment the client has it', async () => {
    const { response } = await stack.client.chat.completions.create({ model: 'via-openai', messages: [{ role: 'user', content: 'durable?' }] }).withResponse();
    const events = await stack.gateway.store.findUsageEventsByRequest(response.headers.get('x-request-id') ?? '');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.route, 'openai-only');
    assert.equal(events[0]!.estimated, false);
    const stream = await stack.client.chat.completions
      .create({ model: 'via-azure-v1', messages: [{ role: 'user', content: 'stream durable?' }], stream: true })
      .withResponse();
    for await (const _chunk of stream.data) {
      // Read to the end ([DONE]).
    }
    const streamed = await stack.gateway.store.findUsageEventsByRequest(stream.response.headers.get('x-request-id') ?? '');
    assert.equal(streamed.length, 1);
    assert.ok(streamed[0]!.output_tokens > 0);
  });

  it('meters a stream the client cuts for what it produced, counted and flagged estimated', async () => {
    await stack.fault('openai', { chunk_delay_ms: 40, count: 1 });
    const controller = new AbortController();
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'via-openai',
        stream: true,
        max_completion_tokens: 400,
        messages: [{ role: 'user', content: 'Tell me a long story about gateways.' }],
      }),
    });
    const requestId = response.headers.get('x-request-id') ?? '';
    const reader = response.body!.getReader();
    let received = '';
    while ((received.match(/"content"/g) ?? []).length < 4) received += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await reader.cancel().catch(() => {});
    // The gateway meters the cut stream once it notices the client has gone: a moment later, however long that takes.
    const events = await waitFor(`the usage event of the cut request ${requestId}`, async () => {
      const found = await stack.gateway.store.findUsageEventsByRequest(requestId);
      return found.length > 0 && found;
    });
    await stack.clearFaults();
    assert.equal(events.length, 1);
    assert.equal(events[0]!.estimated, true);
    assert.equal(events[0]!.status, 499);
    assert.ok(events[0]!.output_tokens > 0 && events[0]!.output_tokens < 400, `${events[0]!.output_tokens} output tokens`);
    assert.ok(events[0]!.input_tokens > 0);
  });

  it('accrues the revenue share on the scoped provider only, up to its cap exactly, and states it', async () => {
    for (let index = 0; index < 12; index++) {
      await stack.client.chat.completions.create({
        model: 'via-openai',
        messages: [{ role: 'user', content: `share ${index}: a longer prompt so the share adds up` }],
      });
      await stack.client.chat.completions.create({ model: 'via-azure-v1', messages: [{ role: 'user', content: 'outside the scope' }] });
    }
    const period = new Date().toISOString().slice(0, 7);
    const statement = await stack.api('GET', `/admin/ledger/statements?agreement=partner-share&period=${period}`);
    assert.equal(statement.status, 200, JSON.stringify(statement.body));
    const body = statement.body;
    assert.equal(body.agreement, 'partner-share');
    assert.equal(body.payee, 'partner');
    assert.equal(body.share_accrued_to_date, '0.000500');
    assert.equal(body.cap_remaining, '0.000000');
    assert.match(body.cap_reached_at, /^\d{4}-\d{2}-\d{2}T/);
    assert.ok(parseMoney(body.revenue) > 0n);
    assert.equal(parseMoney(body.margin), parseMoney(body.revenue) - parseMoney(body.cost));
    // The scope holds the openai routes only: their usage is the statement's revenue.
    const openaiUsage = await stack.api('GET', `/admin/usage?group_by=provider&from=${period}-01`);
    const openaiRow = openaiUsage.body.data.find((row: { group: string }) => row.group === 'openai');
    assert.equal(body.revenue, openaiRow.charged);
    const csv = await stack.api('GET', `/admin/ledger/statements?agreement=partner-share&period=${period}&format=csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    assert.match(String(csv.body), /partner-share/);
    assert.equal((await stack.api('GET', `/admin/ledger/statements?agreement=nope&period=${period}`)).status, 404);
    assert.equal((await stack.api('GET', '/admin/ledger/statements?agreement=partner-share&period=November')).status, 400);
    const verification = await stack.api('GET', '/admin/ledger/verify');
    assert.deepEqual(verification.body.violations, []);
  });

  it('runs `crossway ledger statement` and `crossway ledger verify` against the store file', async () => {
    // A configuration (JSON is YAML) whose store is the file at `sqlite`.
    const writeConfig = (name: string, sqlite: string): string => {
      const path = join(dirname(stack.databasePath), name);
      writeFileSync(
        path,
        JSON.stringify({
          store: { sqlite },
          models: [{ id: 'gpt-5.5' }],
          routes: [{ id: 'placeholder', model: 'gpt-5.5', provider: 'openai', endpoint: 'http://127.0.0.1:9/v1' }],
          agreements: [AGREEMENT],
        }),
      );
      return path;
    };
    const config = writeConfig('crossway.yaml', stack.databasePath);
    const period = new Date().toISOString().slice(0, 7);
    // In process: the commands read the store file (a connection of their own), and runCli answers their exit code.
    const verify = await runCrosswayInProcess(['ledger', 'verify', '--config', config]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /ledger verified/);
    const json = await runCrosswayInProcess(['ledger', 'statement', '--agreement', 'partner-share', '--period', period, '--config', config]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).cap_remaining, '0.000000');
    const csv = await runCrosswayInProcess(['ledger', 'statement', '--agreement', 'partner-share', '--period', period, '--format', 'csv', '--config', config]);
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(csv.stdout.trim().split('\n').length, 2);
    const wrong = await runCrosswayInProcess(['ledger', 'statement', '--agreement', 'nope', '--period', period, '--config', config]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /partner-share/);

    // A copy of the store with one balance off by a micro-unit: verify names the violation and exits 1.
    const tamperedPath = join(dirname(stack.databasePath), 'tampered.db');
    const source = new DatabaseSync(stack.databasePath, { readOnly: true });
    source.prepare('VACUUM INTO ?').run(tamperedPath);
    source.close();
    const tampered = new DatabaseSync(tamperedPath);
    const changed = tampered.prepare('UPDATE account_balances SET balance = balance + 1 WHERE rowid = (SELECT min(rowid) FROM account_balances)').run();
    tampered.close();
    assert.equal(changed.changes, 1);
    const failed = await runCrosswayInProcess(['ledger', 'verify', '--config', writeConfig('tampered.yaml', tamperedPath)]);
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assert.match(failed.stdout, /^balance_mismatch: /m);
    assert.match(failed.stdout, /^ledger verification failed: \d+ violation\(s\)$/m);
  });

  it('keeps every secret out of the ledger and the logs', async () => {
    const created = (await stack.api('POST', '/admin/keys', { tenant: 'default', name: 'canary' })).body as { key: string };
    await stack.clientFor(created.key).chat.completions.create({ model: 'via-openai', messages: [{ role: 'user', content: 'canary call' }] });
    await stack.gateway.requestLog.flush();
    const bytes =
      readFileSync(stack.databasePath).toString('latin1') +
      (() => {
        try {
          return readFileSync(`${stack.databasePath}-wal`).toString('latin1');
        } catch {
          return '';
        }
      })();
    for (const secret of [created.key, stack.masterKey, 'sk-emulator-openai', 'emulator-azure-key']) {
      assert.ok(!bytes.includes(secret), `the store holds no ${secret.slice(0, 8)}…`);
      assert.ok(!stack.logs().includes(secret), `the logs hold no ${secret.slice(0, 8)}…`);
    }
  });
});
