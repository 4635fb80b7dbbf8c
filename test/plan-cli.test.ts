// `crossway plan` as an operator runs it, against the demo catalog, on frozen dates either side of Bedrock's gpt-5.5
// launch (2026-06-01) and of gpt-5.6's first-ship window (released 2026-11-01, 30 days).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT, runCrossway, runCrosswayInProcess } from './support/run-crossway.ts';

const DEMO = join(ROOT, 'examples', 'crossway.demo.yaml');
// In process where only the output matters; the real binary where the working directory and environment do.
const crossway = runCrosswayInProcess;

interface PlanJson {
  id: string;
  model: string;
  at: string;
  constraints: Record<string, unknown>;
  kept: { route: string; provider: string; region: string; rank: number; basis: string }[];
  rejected: { route: string; provider: string; region: string; reasons: { code: string; detail: string }[] }[];
  attempts?: unknown;
}

async function planJson(...args: string[]): Promise<PlanJson> {
  const run = await crossway(['plan', '--config', DEMO, '--json', ...args]);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as PlanJson;
}

const keptIds = (plan: PlanJson) => plan.kept.map((entry) => entry.route);
const reasonCodes = (plan: PlanJson, route: string) => plan.rejected.find((entry) => entry.route === route)?.reasons.map((reason) => reason.code);

describe('crossway plan (demo catalog, frozen dates)', () => {
  it('gpt-5.5 on 2026-05-15: Bedrock is not yet available, and the table says so', async () => {
    const plan = await planJson('--model', 'gpt-5.5', '--at', '2026-05-15');
    assert.equal(plan.at, '2026-05-15T00:00:00.000Z');
    assert.ok(!keptIds(plan).includes('bedrock-us-east-2-gpt-5.5'));
    assert.ok(reasonCodes(plan, 'bedrock-us-east-2-gpt-5.5')?.includes('not_yet_available'));
    assert.match(plan.rejected.find((entry) => entry.route === 'bedrock-us-east-2-gpt-5.5')?.reasons[0]?.detail ?? '', /2026-06-01/);

    const table = await crossway(['plan', '--config', DEMO, '--model', 'gpt-5.5', '--at', '2026-05-15']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^Plan for gpt-5\.5 at 2026-05-15T00:00:00\.000Z$/m);
    assert.match(table.stdout, /^1\s+azure-eastus2-gpt-5\.5\s+azure\s+eastus2\s+\S/m);
    assert.match(table.stdout, /^bedrock-us-east-2-gpt-5\.5\s+bedrock\s+us-east-2\s+.*not_yet_available: .*2026-06-01/m);
    // Kept routes come before rejected ones.
    assert.ok(table.stdout.indexOf('RANK') < table.stdout.indexOf('REASONS'));
  });

  it('gpt-5.5 on 2026-06-02: Bedrock is kept', async () => {
    const plan = await planJson('--model', 'gpt-5.5', '--at', '2026-06-02');
    assert.ok(keptIds(plan).includes('bedrock-us-east-2-gpt-5.5'));
    assert.equal(reasonCodes(plan, 'bedrock-us-east-2-gpt-5.5'), undefined);
  });

  it('gpt-5.6 on 2026-11-15: inside the first-ship window only Azure serves it', async () => {
    const plan = await planJson('--model', 'gpt-5.6', '--at', '2026-11-15');
    assert.deepEqual(keptIds(plan), ['azure-eastus2-gpt-5.6']);
    assert.ok(reasonCodes(plan, 'openai-global-gpt-5.6')?.includes('first_ship_window'));
    assert.ok(reasonCodes(plan, 'bedrock-us-east-2-gpt-5.6')?.includes('first_ship_window'));
  });

  it('gpt-5.6 on 2026-12-15: after the window all three serve it, Azure first', async () => {
    const plan = await planJson('--model', 'gpt-5.6', '--at', '2026-12-15');
    assert.deepEqual(keptIds(plan).toSorted(), ['azure-eastus2-gpt-5.6', 'bedrock-us-east-2-gpt-5.6', 'openai-global-gpt-5.6']);
    assert.equal(plan.kept[0]?.route, 'azure-eastus2-gpt-5.6');
    assert.deepEqual(
      plan.kept.map((entry) => entry.rank),
      [1, 2, 3],
    );
    assert.deepEqual(plan.rejected, []);
  });

  it('--region eu keeps only the EU route and says why the others went', async () => {
    const plan = await planJson('--model', 'gpt-5.5', '--region', 'eu', '--at', '2026-06-02');
    assert.deepEqual(keptIds(plan), ['azure-swedencentral-gpt-5.5']);
    for (const route of ['azure-eastus2-gpt-5.5', 'bedrock-us-east-2-gpt-5.5', 'openai-global-gpt-5.5']) {
      assert.ok(reasonCodes(plan, route)?.includes('region'), route);
    }
    assert.deepEqual(plan.constraints.regions, ['eu']);
  });

  it('--compliance and --provider narrow the plan', async () => {
    const plan = await planJson('--model', 'gpt-5.5', '--compliance', 'hipaa', '--provider', 'bedrock', '--at', '2026-06-02');
    assert.deepEqual(keptIds(plan), ['bedrock-us-east-2-gpt-5.5']);
    assert.ok(reasonCodes(plan, 'azure-eastus2-gpt-5.5')?.includes('provider_excluded'));
    assert.ok(reasonCodes(plan, 'openai-global-gpt-5.5')?.includes('compliance'));
  });

  it('--json prints the decision record without attempts', async () => {
    const plan = await planJson('--model', 'gpt-5.5', '--at', '2026-05-15');
    assert.match(plan.id, /^dec_[0-9a-f]{32}$/);
    assert.equal(plan.model, 'gpt-5.5');
    assert.equal(typeof plan.constraints, 'object');
    assert.equal('attempts' in plan, false);
    assert.deepEqual(Object.keys(plan).toSorted(), ['at', 'constraints', 'id', 'kept', 'model', 'rejected']);
    for (const entry of plan.kept) assert.deepEqual(Object.keys(entry).toSorted(), ['basis', 'provider', 'rank', 'region', 'route']);
    for (const entry of plan.rejected) {
      assert.deepEqual(Object.keys(entry).toSorted(), ['provider', 'reasons', 'region', 'route']);
      assert.ok(entry.reasons.length > 0);
      for (const reason of entry.reasons) assert.deepEqual(Object.keys(reason).toSorted(), ['code', 'detail']);
    }
  });

  it('an unknown model exits 2 naming the model and the known ones', async () => {
    const run = await crossway(['plan', '--config', DEMO, '--model', 'gpt-9']);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /unknown model 'gpt-9'.*gpt-5\.5/);
  });

  it('a bad date or missing --model exits 2', async () => {
    assert.equal((await crossway(['plan', '--config', DEMO, '--model', 'gpt-5.5', '--at', '2026-02-30'])).code, 2);
    assert.equal((await crossway(['plan', '--config', DEMO])).code, 2);
  });

  describe('without --config', () => {
    const empty = mkdtempSync(join(tmpdir(), 'crossway-plan-cli-'));
    after(() => rmSync(empty, { recursive: true, force: true }));

    it('falls back to the demo catalog where there is no crossway.yaml, with no secrets set', async () => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.CROSSWAY_CONFIG;
      delete env.CROSSWAY_MASTER_KEY;
      const run = await runCrossway(['plan', '--model', 'gpt-5.6', '--at', '2026-11-15', '--json'], { cwd: empty, env });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /demo catalog/);
      assert.deepEqual(keptIds(JSON.parse(run.stdout) as PlanJson), ['azure-eastus2-gpt-5.6']);
    });
  });
});
