// The emulators' own validators for OpenAI-wire request bodies and OpenAI's 400 wording for what they reject.
// Written from the OpenAI API reference (openai/openai-openapi: CreateChatCompletionRequest, CreateEmbeddingRequest)
// independently of src/wire, so that a validator bug in the gateway cannot hide behind the same bug here.
// Messages and codes mirror OpenAI's ("Missing required parameter: 'messages'.", code `missing_required_parameter`).
import { z } from 'zod';
import type { core } from 'zod';

const textPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const userPart = z.discriminatedUnion('type', [
  textPart,
  z.looseObject({ type: z.literal('image_url'), image_url: z.looseObject({ url: z.string() }) }),
  z.looseObject({ type: z.literal('input_audio'), input_audio: z.looseObject({ data: z.string() }) }),
  z.looseObject({ type: z.literal('file'), file: z.looseObject({}) }),
]);
const assistantPart = z.discriminatedUnion('type', [textPart, z.looseObject({ type: z.literal('refusal'), refusal: z.string() })]);
const textContent = z.union([z.string(), z.array(textPart)]);

const message = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: textContent }),
  z.looseObject({ role: z.literal('developer'), content: textContent }),
  z.looseObject({ role: z.literal('user'), content: z.union([z.string(), z.array(userPart)]) }),
  z.looseObject({
    role: z.literal('assistant'),
    content: z.union([z.string(), z.array(assistantPart)]).nullish(),
    tool_calls: z
      .array(
        z.looseObject({
          id: z.string(),
          type: z.literal('function'),
          function: z.looseObject({ name: z.string(), arguments: z.string() }),
        }),
      )
      .optional(),
  }),
  z.looseObject({ role: z.literal('tool'), tool_call_id: z.string(), content: textContent }),
  z.looseObject({ role: z.literal('function'), name: z.string(), content: z.string().nullable() }),
]);

const tool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** `POST /v1/chat/completions` body, as far as the emulators check it. */
export const openAIChatRequestSchema = z.looseObject({
  model: z.string(),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  tools: z.array(tool).optional(),
  tool_choice: z
    .union([z.enum(['none', 'auto', 'required']), z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) })])
    .optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: z
    .discriminatedUnion('type', [
      z.looseObject({ type: z.literal('text') }),
      z.looseObject({ type: z.literal('json_object') }),
      z.looseObject({
        type: z.literal('json_schema'),
        json_schema: z.looseObject({
          name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
          schema: z.record(z.string(), z.unknown()).optional(),
        }),
      }),
    ])
    .optional(),
});

/** A validated chat request. */
export type OpenAIChatRequest = z.infer<typeof openAIChatRequestSchema>;
/** One validated chat message. */
export type OpenAIChatMessage = OpenAIChatRequest['messages'][number];

/** `POST /v1/embeddings` body. */
export const openAIEmbeddingRequestSchema = z.looseObject({
  model: z.string(),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1).max(2048),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int()).min(1)).min(1).max(2048),
  ]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().min(1).optional(),
});

/** A validated embeddings request. */
export type OpenAIEmbeddingRequest = z.infer<typeof openAIEmbeddingRequestSchema>;

/** What OpenAI says about a rejected body: the message, the offending `param` and the error `code`. */
export interface OpenAIRequestProblem {
  message: string;
  param: string | null;
  code: string | null;
}

/** Validates `body` with `schema`, returning the data or OpenAI's description of the first problem. */
export function checkOpenAIRequest<S extends z.ZodType>(schema: S, body: unknown): { data: z.infer<S> } | { problem: OpenAIRequestProblem } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { problem: { message: 'The request body must be a JSON object.', param: null, code: null } };
  }
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return { data: result.data };
  const issue = result.error.issues[0];
  return { problem: issue === undefined ? { message: 'Invalid request body.', param: null, code: null } : describeIssue(issue) };
}

function describeIssue(issue: core.$ZodIssue): OpenAIRequestProblem {
  const param = formatParam(issue.path);
  // JSON has no `undefined`: an undefined input is a missing field.
  const input: unknown = issue.input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return { message: `Missing required parameter: '${param}'.`, param, code: 'missing_required_parameter' };
      return {
        message: `Invalid type for '${param}': expected ${article(issue.expected)}, but got ${describeValue(input)} instead.`,
        param,
        code: 'invalid_type',
      };
    case 'too_small':
    case 'too_big': {
      const below = issue.code === 'too_small';
      const bound = below ? issue.minimum : issue.maximum;
      if (issue.origin === 'array') {
        const length = Array.isArray(input) ? input.length : 0;
        if (below && length === 0) {
          return {
            message: `Invalid '${param}': empty array. Expected an array with minimum length ${bound}, but got an empty array instead.`,
            param,
            code: 'empty_array',
          };
        }
        return {
          message:
            `Invalid '${param}': array too ${below ? 'short' : 'long'}. Expected an array with ${below ? 'minimum' : 'maximum'} length ${bound}, but ` +
            `got an array with length ${length} instead.`,
          param,
          code: below ? 'array_below_min_length' : 'array_above_max_length',
        };
      }
      const kind = Number.isInteger(input) ? 'integer' : 'decimal';
      return {
        message:
          `Invalid '${param}': ${kind} ${below ? 'below minimum' : 'above maximum'} value. ` +
          `Expected a value ${below ? '>=' : '<='} ${bound}, but got ${String(input)} instead.`,
        param,
        code: `${kind}_${below ? 'below_min' : 'above_max'}_value`,
      };
    }
    case 'invalid_value':
      return { message: `Invalid value: '${String(input)}'. Supported values are: ${quoteList(issue.values)}.`, param, code: 'invalid_value' };
    case 'invalid_union': {
      if ('discriminator' in issue && typeof issue.discriminator === 'string') {
        const value = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[issue.discriminator] : undefined;
        const options = 'options' in issue && Array.isArray(issue.options) ? issue.options : [];
        if (value === undefined) return { message: `Missing required parameter: '${param}'.`, param, code: 'missing_required_parameter' };
        return { message: `Invalid value: '${String(value)}'. Supported values are: ${quoteList(options)}.`, param, code: 'invalid_value' };
      }
      return { message: `Invalid type for '${param}': got ${describeValue(input)}, which matches none of the accepted forms.`, param, code: 'invalid_type' };
    }
    case 'invalid_format':
      return {
        message:
          `Invalid '${param}': string does not match pattern. Expected a string that matches the pattern ` +
          `'${'pattern' in issue ? String(issue.pattern) : ''}'.`,
        param,
        code: 'invalid_value',
      };
    default:
      return { message: `Invalid value for '${param}': ${issue.message}.`, param, code: 'invalid_value' };
  }
}

/** `['messages', 0, 'content']` -> `messages[0].content`, OpenAI's notation for `param`. */
function formatParam(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`), '');
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'object') return 'an object';
  return article(typeof value);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function quoteList(values: readonly unknown[]): string {
  const quoted = values.map((value) => `'${String(value)}'`);
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')}, and ${quoted.at(-1)}`;
}
