import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routeSchema } from '../catalog/index.ts';
import { DEMO_CATALOG_PATH } from './prepare-demo.ts';
import { formatPlan, parseAt, parsePlanArgs, resolvePlanConfig } from './run-plan.ts';
import { UsageError } from './usage-error.ts';

const fixedNow = () => new Date('2026-05-15T12:00:00.000Z');

describe('parsePlanArgs', () => {
  const cases: { name: string; args: string[]; expected: Partial<ReturnType<typeof parsePlanArgs>> }[] = [
    {
      name: 'only a model: no constraints, now',
      args: ['--model', 'gpt-5.5'],
      expected: { model: 'gpt-5.5', constraints: {}, capabilities: [], at: fixedNow(), json: false, config: undefined },
    },
    {
      name: 'lists repeated and comma-separated',
      args: ['--model', 'gpt-5.5', '--region', 'eu,us', '--region', 'apac', '--compliance', 'hipaa', '--provider', 'bedrock, azure'],
      expected: { constraints: { regions: ['eu', 'us', 'apac'], compliance: ['hipaa'], providers: { only: ['bedrock', 'azure'] } } },
    },
    {
      name: 'capabilities, date, json and config',
      args: ['--model', 'gpt-5.6', '--tools', '--vision', '--at', '2026-11-15', '--json', '--config', 'other.yaml'],
      expected: { capabilities: ['tools', 'vision'], at: new Date('2026-11-15T00:00:00.000Z'), json: true, config: 'other.yaml' },
    },
  ];
  for (const { name, args, expected } of cases) {
    it(name, () => {
      const command = parsePlanArgs(args, fixedNow);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(command[key as keyof typeof command], value, key);
    });
  }

  const refused: { name: string; args: string[]; message: RegExp }[] = [
    { name: 'no model', args: ['--region', 'eu'], message: /needs --model/ },
    { name: 'an unknown flag', args: ['--model', 'gpt-5.5', '--regoin', 'eu'], message: /regoin/ },
    { name: 'a bad date', args: ['--model', 'gpt-5.5', '--at', 'tomorrow'], message: /--at: 'tomorrow'/ },
  ];
  for (const { name, args, message } of refused) {
    it(`refuses ${name}`, () =>
      assert.throws(
        () => parsePlanArgs(args, fixedNow),
        (error: unknown) => error instanceof UsageError && message.test(error.message),
      ));
  }
});

describe('parseAt', () => {
  const cases: { text: string; iso: string | null }[] = [
    { text: '2026-06-01', iso: '2026-06-01T00:00:00.000Z' },
    { text: '2026-06-01T09:30', iso: '2026-06-01T09:30:00.000Z' },
    { text: '2026-06-01T09:30:15.250Z', iso: '2026-06-01T09:30:15.250Z' },
    { text: '2026-06-01T02:00:00+02:00', iso: '2026-06-01T00:00:00.000Z' },
    { text: '2026-02-29', iso: null },
    { text: '2026-13-01', iso: null },
    { text: '2026-06-01T25:00', iso: null },
    { text: '2026-06-01Z', iso: null },
    { text: 'June 1', iso: null },
    { text: '', iso: null },
  ];
  for (const { text, iso } of cases) {
    it(`${JSON.stringify(text)} -> ${iso ?? 'refused'}`, () => {
      if (iso === null) assert.throws(() => parseAt(text), UsageError);
      else assert.equal(parseAt(text).toISOString(), iso);
    });
  }
});

describe('resolvePlanConfig', () => {
  it('prefers --config, then $CROSSWAY_CONFIG, then ./crossway.yaml, then the demo catalog', () => {
    assert.deepEqual(
      resolvePlanConfig('a.yaml', { CROSSWAY_CONFIG: 'b.yaml' }, () => true),
      { path: 'a.yaml', demo: false },
    );
    assert.deepEqual(
      resolvePlanConfig(undefined, { CROSSWAY_CONFIG: 'b.yaml' }, () => true),
      { path: 'b.yaml', demo: false },
    );
    assert.deepEqual(
      resolvePlanConfig(undefined, {}, () => true),
      { path: 'crossway.yaml', demo: false },
    );
    assert.deepEqual(
      resolvePlanConfig(undefined, { CROSSWAY_CONFIG: '' }, () => false),
      { path: DEMO_CATALOG_PATH, demo: true },
    );
  });
});

describe('formatPlan', () => {
  const route = (id: string, provider: string, region: string) =>
    routeSchema.parse({ id, model: 'gpt-5.5', provider, endpoint: 'https://example.invalid', region });

  it('lists kept routes by rank, then rejected ones with every reason', () => {
    const text = formatPlan({
      model: 'gpt-5.5',
      at: '2026-05-15T00:00:00.000Z',
      constraints: { regions: ['us'], providers: { ignore: ['vertex'] } },
      kept: [
        { route: route('azure-eastus2-gpt-5.5', 'azure', 'eastus2'), rank: 1, basis: 'right of first refusal: azure' },
        { route: route('openai-global-gpt-5.5', 'openai', 'global'), rank: 2, basis: 'catalog order' },
      ],
      rejected: [
        {
          route: route('bedrock-us-east-2-gpt-5.5', 'bedrock', 'us-east-2'),
          reasons: [
            { code: 'not_yet_available', detail: 'available from 2026-06-01' },
            { code: 'compliance', detail: 'lacks zdr' },
          ],
        },
      ],
    });
    assert.equal(
      text,
      [
        'Plan for gpt-5.5 at 2026-05-15T00:00:00.000Z',
        'Constraints: regions=us providers.ignore=vertex',
        '',
        'Kept (tried in this order):',
        'RANK  ROUTE                  PROVIDER  REGION   BASIS',
        '1     azure-eastus2-gpt-5.5  azure     eastus2  right of first refusal: azure',
        '2     openai-global-gpt-5.5  openai    global   catalog order',
        '',
        'Rejected:',
        'ROUTE                      PROVIDER  REGION     REASONS',
        'bedrock-us-east-2-gpt-5.5  bedrock   us-east-2  not_yet_available: available from 2026-06-01; compliance: lacks zdr',
        '',
      ].join('\n'),
    );
  });
});
