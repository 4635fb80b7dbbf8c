import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { CatalogError, loadCatalogFile, loadCatalogText } from './load-catalog.ts';

const DEMO = fileURLToPath(new URL('../../examples/crossway.demo.yaml', import.meta.url));

const MINIMAL = `
server:
  master_key: \${TEST_MASTER_KEY}
models:
  - id: gpt-5.5
    aliases: [gpt-latest]
routes:
  - id: openai-global-gpt-5.5
    model: gpt-5.5
    provider: openai
    endpoint: https://api.openai.com/v1
    auth: { type: bearer, key: "\${TEST_OPENAI_KEY}" }
`;

function expectCatalogError(text: string, env: Record<string, string>, pattern: RegExp): void {
  assert.throws(
    () => loadCatalogText(text, 'test.yaml', { env }),
    (error: unknown) => error instanceof CatalogError && pattern.test(error.message),
  );
}

describe('loadCatalogText', () => {
  it('loads the demo catalog with emulator defaults', () => {
    const catalog = loadCatalogFile(DEMO, { env: { CROSSWAY_MASTER_KEY: 'sk-test-master' } });
    assert.deepEqual(
      catalog.findModel('gpt-5.5')?.routes.map((route) => route.id),
      ['azure-eastus2-gpt-5.5', 'azure-swedencentral-gpt-5.5', 'bedrock-us-east-2-gpt-5.5', 'openai-global-gpt-5.5'],
    );
    assert.equal(catalog.config.server.port, 4000);
    assert.equal(catalog.config.server.body_limit, 8 * 1024 * 1024);
    assert.equal(catalog.findModel('text-embedding-3-small')?.model.kind, 'embedding');
    assert.deepEqual(catalog.findRoute('openai-global-gpt-5.5')?.price, { input: 5, cached_input: 0.5, output: 30, currency: 'USD' });
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the name quotes the configuration's own syntax
  it('fills ${VAR} and ${VAR:-default} from the environment', () => {
    const catalog = loadCatalogText(MINIMAL, 'test.yaml', { env: { TEST_MASTER_KEY: 'mk', TEST_OPENAI_KEY: 'sk-canary' } });
    const route = catalog.findRoute('openai-global-gpt-5.5');
    assert.equal(route?.auth.type === 'bearer' && route.auth.key.reveal(), 'sk-canary');
    const withDefault = loadCatalogFile(DEMO, { env: { CROSSWAY_MASTER_KEY: 'x', PORT: '4321' } });
    assert.equal(withDefault.config.server.port, 4321);
  });

  it('resolves aliases to the model and its routes', () => {
    const catalog = loadCatalogText(MINIMAL, 'test.yaml', { env: { TEST_MASTER_KEY: 'mk', TEST_OPENAI_KEY: 'k' } });
    assert.equal(catalog.findModel('gpt-latest')?.model.id, 'gpt-5.5');
    assert.equal(catalog.findModel('nope'), undefined);
  });

  it('never reveals secrets when printed or serialised', () => {
    const catalog = loadCatalogText(MINIMAL, 'test.yaml', { env: { TEST_MASTER_KEY: 'mk-canary-1', TEST_OPENAI_KEY: 'sk-canary-2' } });
    const printed = JSON.stringify(catalog.config) + inspect(catalog.config, { depth: 10 }) + String(catalog.config.server.master_key);
    assert.doesNotMatch(printed, /canary/);
  });

  it('the version changes with the content but not with secrets', () => {
    const a = loadCatalogText(MINIMAL, 't', { env: { TEST_MASTER_KEY: 'a', TEST_OPENAI_KEY: 'k1' } });
    const b = loadCatalogText(MINIMAL, 't', { env: { TEST_MASTER_KEY: 'b', TEST_OPENAI_KEY: 'k2' } });
    const c = loadCatalogText(MINIMAL.replace('api.openai.com', 'example.test'), 't', { env: { TEST_MASTER_KEY: 'a', TEST_OPENAI_KEY: 'k1' } });
    assert.equal(a.version, b.version);
    assert.notEqual(a.version, c.version);
  });

  const invalid: Array<{ name: string; text: string; env?: Record<string, string>; error: RegExp }> = [
    {
      name: 'unset variable names the field and the variable',
      text: MINIMAL,
      env: { TEST_MASTER_KEY: 'x' },
      error: /routes\[0\]\.auth\.key: environment variable TEST_OPENAI_KEY is not set/,
    },
    { name: 'bad YAML', text: 'models: [', error: /not valid YAML/ },
    { name: 'unknown provider', text: MINIMAL.replace('provider: openai', 'provider: oracle'), error: /routes\[0\]\.provider/ },
    { name: 'bad endpoint', text: MINIMAL.replace('https://api.openai.com/v1', 'ftp://x'), error: /routes\[0\]\.endpoint/ },
    { name: 'unknown field', text: MINIMAL.replace('    model: gpt-5.5\n', '    model: gpt-5.5\n    modle: x\n'), error: /routes\[0\].*modle/ },
    {
      name: 'route of an undeclared model',
      text: MINIMAL.replace('    model: gpt-5.5', '    model: gpt-9'),
      error: /routes\[0\]\.model: unknown model 'gpt-9'/,
    },
    {
      name: 'duplicate route id',
      text: `${MINIMAL}  - id: openai-global-gpt-5.5\n    model: gpt-5.5\n    provider: openai\n    endpoint: http://127.0.0.1:1/v1\n`,
      error: /routes\[1\]\.id: duplicate route id/,
    },
    { name: 'alias clashing with a model id', text: MINIMAL.replace('aliases: [gpt-latest]', 'aliases: [gpt-5.5]'), error: /models\[0\]\.aliases\[0\]/ },
    {
      name: 'an API the provider does not speak',
      text: MINIMAL.replace('provider: openai', 'provider: azure\n    api: v2'),
      error: /routes\[0\]\.api: 'v2' is not an API of provider azure/,
    },
    { name: 'a Vertex route without project', text: MINIMAL.replace('provider: openai', 'provider: vertex'), error: /routes\[0\]\.project/ },
    { name: 'no routes', text: 'models: [{id: a}]\nroutes: []', error: /routes: / },
    { name: 'bad body limit', text: MINIMAL.replace('server:\n', 'server:\n  body_limit: lots\n'), error: /server\.body_limit/ },
  ];
  for (const testCase of invalid) {
    it(`rejects: ${testCase.name}`, () => {
      expectCatalogError(testCase.text, testCase.env ?? { TEST_MASTER_KEY: 'x', TEST_OPENAI_KEY: 'y' }, testCase.error);
    });
  }
});
