// The model an answer names: the catalog's snapshot, else its id; the cloud's id beside it; one value edited in bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCatalog } from '../catalog/index.ts';
import { answerModelOf, upstreamModelOf, withAnswerModel } from './answer-model.ts';

const catalog = buildCatalog(
  {
    server: { port: 0 },
    models: [{ id: 'gpt-5.5', snapshot: 'gpt-5.5-2026-04-23', aliases: ['gpt-latest'] }, { id: 'gpt-oss-120b' }],
    routes: [
      {
        id: 'azure',
        model: 'gpt-5.5',
        provider: 'azure',
        endpoint: 'https://a.openai.azure.com',
        deployment: 'my-deployment',
        auth: { type: 'api-key', key: 'k' },
      },
      {
        id: 'bedrock',
        model: 'gpt-oss-120b',
        provider: 'bedrock',
        endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com',
        region: 'us-west-2',
        deployment: 'openai.gpt-oss-120b-1:0',
        auth: { type: 'none' },
      },
      { id: 'openai', model: 'gpt-oss-120b', provider: 'openai', endpoint: 'https://api.openai.com/v1', auth: { type: 'bearer', key: 'k' } },
    ],
  },
  'answer-model test',
  { env: {} },
);
const route = (id: string) => catalog.routes.find((entry) => entry.id === id)!;

describe('answerModelOf and upstreamModelOf', () => {
  it("names the model's snapshot when the catalog declares one, else its id, never the deployment", () => {
    assert.equal(answerModelOf(catalog, route('azure')), 'gpt-5.5-2026-04-23');
    assert.equal(answerModelOf(catalog, route('bedrock')), 'gpt-oss-120b');
    assert.equal(answerModelOf(catalog, route('openai')), 'gpt-oss-120b');
  });
  it("gives the cloud's id: the deployment, else the model id", () => {
    assert.equal(upstreamModelOf(route('azure')), 'my-deployment');
    assert.equal(upstreamModelOf(route('bedrock')), 'openai.gpt-oss-120b-1:0');
    assert.equal(upstreamModelOf(route('openai')), 'gpt-oss-120b');
  });
});

describe('withAnswerModel', () => {
  it('edits the model value and keeps every other byte', () => {
    const body = Buffer.from('{"id":"x","model":"openai.gpt-oss-120b-1:0","choices":[{"message":{"content":"ça"}}],"extra":{"k":1}}');
    assert.equal(
      Buffer.from(withAnswerModel(body, 'gpt-oss-120b')).toString(),
      '{"id":"x","model":"gpt-oss-120b","choices":[{"message":{"content":"ça"}}],"extra":{"k":1}}',
    );
  });
  it('returns the same bytes when they already name it', () => {
    const body = Buffer.from('{"model":"gpt-oss-120b"}');
    assert.equal(withAnswerModel(body, 'gpt-oss-120b'), body);
  });
});
