// Generated instances validate against their schemas (checked with zod's JSON Schema import, an independent validator).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { generateSchemaInstance } from './generate-schema-instance.ts';

function assertValid(schema: Record<string, unknown>, value: unknown): void {
  const result = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]).safeParse(value);
  assert.ok(result.success, `${JSON.stringify(value)} does not match: ${JSON.stringify(result.error?.issues)}`);
}

const cases: { name: string; schema: Record<string, unknown> }[] = [
  {
    name: 'object with required properties, enum and bounds',
    schema: {
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 3, maxLength: 40 },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        days: { type: 'integer', minimum: 1, maximum: 7 },
        ratio: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        verbose: { type: 'boolean' },
      },
      required: ['city', 'unit', 'days', 'ratio', 'verbose'],
      additionalProperties: false,
    },
  },
  {
    name: 'arrays, nested objects, nullable unions and const',
    schema: {
      type: 'object',
      properties: {
        tags: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 3 },
        owner: {
          type: 'object',
          properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' } },
          required: ['name', 'email'],
          additionalProperties: false,
        },
        note: { anyOf: [{ type: 'null' }, { type: 'string' }] },
        kind: { const: 'report' },
        score: { type: ['integer', 'null'], multipleOf: 5, minimum: 12 },
      },
      required: ['tags', 'owner', 'note', 'kind', 'score'],
      additionalProperties: false,
    },
  },
  {
    name: 'local $ref into $defs',
    schema: {
      type: 'object',
      properties: { steps: { type: 'array', items: { $ref: '#/$defs/step' } } },
      required: ['steps'],
      additionalProperties: false,
      $defs: {
        step: {
          type: 'object',
          properties: { explanation: { type: 'string' }, output: { type: 'string' } },
          required: ['explanation', 'output'],
          additionalProperties: false,
        },
      },
    },
  },
];

describe('generateSchemaInstance', () => {
  for (const { name, schema } of cases) {
    it(`validates: ${name}`, () => assertValid(schema, generateSchemaInstance(schema, 'seed')));
  }

  it('is deterministic for the same seed and varies with the seed', () => {
    const schema = cases[0]!.schema;
    assert.deepEqual(generateSchemaInstance(schema, 'a'), generateSchemaInstance(schema, 'a'));
    assert.notDeepEqual(generateSchemaInstance(schema, 'a'), generateSchemaInstance(schema, 'b'));
  });

  it('fills only required properties when `required` is given', () => {
    const value = generateSchemaInstance({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a'] }, 'seed');
    assert.deepEqual(Object.keys(value as object), ['a']);
  });
});
