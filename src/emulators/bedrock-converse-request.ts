// Validates a Converse / ConverseStream body the way Bedrock does, in three layers: JSON shape (SerializationException),
// the service model's constraints in AWS's "N validation error(s) detected" form with 1-based `.member` list paths, then
// Bedrock's own conversation rules. Shapes and constraints: botocore bedrock-runtime 2023-09-30 service-2.json
// (ConverseRequest, Message, ContentBlock, ToolConfiguration, InferenceConfiguration, OutputConfig). Rule messages as
// quoted in public reports: alternation (langchain-ai/langchain-aws#130), blank text (aws-samples/bedrock-engineer#8),
// toolConfig required (langgenius/dify#17545), inputSchema.json format (aws/aws-tools-for-powershell#354), constraint
// form (continuedev/continue#2296). Messages marked approximate were not found quoted anywhere.
import { z } from 'zod';

const imageBlock = z.looseObject({
  format: z.string(),
  source: z.looseObject({ bytes: z.string().optional(), s3Location: z.looseObject({ uri: z.string() }).optional() }),
});
const toolResultContent = z.looseObject({
  text: z.string().optional(),
  json: z.unknown().optional(),
  image: imageBlock.optional(),
  document: z.looseObject({}).optional(),
  video: z.looseObject({}).optional(),
});
const contentBlock = z.looseObject({
  text: z.string().optional(),
  image: imageBlock.optional(),
  document: z.looseObject({}).optional(),
  video: z.looseObject({}).optional(),
  audio: z.looseObject({}).optional(),
  toolUse: z.looseObject({ toolUseId: z.string(), name: z.string(), input: z.unknown() }).optional(),
  toolResult: z.looseObject({ toolUseId: z.string(), content: z.array(toolResultContent), status: z.string().optional() }).optional(),
  guardContent: z.looseObject({}).optional(),
  cachePoint: z.looseObject({}).optional(),
  reasoningContent: z.looseObject({}).optional(),
});
const toolSpec = z.looseObject({
  name: z.string(),
  description: z.string().optional(),
  inputSchema: z.looseObject({ json: z.unknown().optional() }),
});

/** The Converse body, as far as the emulator reads it. */
export const bedrockConverseRequestSchema = z.looseObject({
  messages: z.array(z.looseObject({ role: z.string(), content: z.array(contentBlock) })).optional(),
  system: z.array(z.looseObject({ text: z.string().optional(), guardContent: z.unknown().optional(), cachePoint: z.unknown().optional() })).optional(),
  inferenceConfig: z
    .looseObject({
      maxTokens: z.number().int().optional(),
      temperature: z.number().optional(),
      topP: z.number().optional(),
      stopSequences: z.array(z.string()).optional(),
    })
    .optional(),
  toolConfig: z
    .looseObject({
      tools: z.array(
        z.looseObject({ toolSpec: toolSpec.optional(), systemTool: z.looseObject({ name: z.string() }).optional(), cachePoint: z.unknown().optional() }),
      ),
      toolChoice: z
        .looseObject({ auto: z.looseObject({}).optional(), any: z.looseObject({}).optional(), tool: z.looseObject({ name: z.string() }).optional() })
        .optional(),
    })
    .optional(),
  /** Model-specific fields passed to the model as they are (a JSON value; an object for the models emulated here). */
  additionalModelRequestFields: z.record(z.string(), z.unknown()).optional(),
  outputConfig: z
    .looseObject({
      textFormat: z
        .looseObject({
          type: z.string(),
          structure: z.looseObject({ jsonSchema: z.looseObject({ schema: z.string(), name: z.string().optional() }).optional() }),
        })
        .optional(),
    })
    .optional(),
});

/** A Converse body that passed every check. */
export type BedrockConverseRequest = z.infer<typeof bedrockConverseRequestSchema>;
/** One message of it. */
export type BedrockConverseMessage = NonNullable<BedrockConverseRequest['messages']>[number];
/** One content block of a message. */
export type BedrockContentBlock = BedrockConverseMessage['content'][number];

/** Why Bedrock rejects a body: the error type (400 either way) and its message. */
export interface BedrockRequestProblem {
  type: 'ValidationException' | 'SerializationException';
  message: string;
}

const CONTENT_MEMBERS = ['text', 'image', 'document', 'video', 'audio', 'toolUse', 'toolResult', 'guardContent', 'cachePoint', 'reasoningContent'] as const;
const NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;
const TOOL_USE_ID_PATTERN = /^[a-zA-Z0-9_.:-]+$/;

/** Checks `body` against the three layers; returns the typed request or the first layer's problem. */
export function checkBedrockConverseRequest(body: unknown): { data: BedrockConverseRequest } | { problem: BedrockRequestProblem } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    // Approximate: AWS's deserializer wording for a non-object body is not quoted publicly.
    return { problem: { type: 'SerializationException', message: 'Start of structure or map expected.' } };
  }
  const parsed = bedrockConverseRequestSchema.safeParse(body, { reportInput: true });
  if (!parsed.success) {
    const missing = parsed.error.issues.filter((issue) => issue.code === 'invalid_type' && issue.input === undefined);
    if (missing.length < parsed.error.issues.length) {
      const issue = parsed.error.issues.find((candidate) => !missing.includes(candidate));
      // Approximate wording; the type is what AWS answers a JSON value of the wrong type with.
      return { problem: { type: 'SerializationException', message: `Unexpected value type at '${formatDottedPath(issue?.path ?? [])}'.` } };
    }
    return {
      problem: validationErrors(
        missing.map((issue) => `Value null at '${formatMemberPath(issue.path)}' failed to satisfy constraint: Member must not be null`),
      ),
    };
  }
  const data = parsed.data;
  const violations = findConstraintViolations(data);
  if (violations.length > 0) return { problem: validationErrors(violations) };
  const rule = findRuleViolation(data);
  return rule === undefined ? { data } : { problem: { type: 'ValidationException', message: rule } };
}

/** Constraint violations in the service model's terms, in AWS's wording. */
function findConstraintViolations(data: BedrockConverseRequest): string[] {
  const out: string[] = [];
  const at = (path: readonly PropertyKey[]) => formatMemberPath(path);
  const enumOf = (value: string, values: readonly string[], path: readonly PropertyKey[]) => {
    if (!values.includes(value))
      out.push(`Value '${value}' at '${at(path)}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(', ')}]`);
  };
  const name = (value: string, path: readonly PropertyKey[], pattern = NAME_PATTERN, patternText = '[a-zA-Z0-9_-]+') => {
    if (value.length < 1 || value.length > 64) {
      out.push(
        `Value '${value}' at '${at(path)}' failed to satisfy constraint: Member must have length ` +
          `${value.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 64'}`,
      );
    } else if (!pattern.test(value)) {
      out.push(`Value '${value}' at '${at(path)}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${patternText}`);
    }
  };
  data.messages?.forEach((message, index) => {
    enumOf(message.role, ['user', 'assistant', 'system'], ['messages', index, 'role']);
    message.content.forEach((block, position) => {
      const path = ['messages', index, 'content', position];
      if (block.image !== undefined) enumOf(block.image.format, ['png', 'jpeg', 'gif', 'webp'], [...path, 'image', 'format']);
      if (block.toolUse !== undefined) {
        name(block.toolUse.toolUseId, [...path, 'toolUse', 'toolUseId'], TOOL_USE_ID_PATTERN, '[a-zA-Z0-9_.:-]+');
        name(block.toolUse.name, [...path, 'toolUse', 'name']);
      }
      if (block.toolResult !== undefined) {
        name(block.toolResult.toolUseId, [...path, 'toolResult', 'toolUseId'], TOOL_USE_ID_PATTERN, '[a-zA-Z0-9_.:-]+');
        if (block.toolResult.status !== undefined) enumOf(block.toolResult.status, ['success', 'error'], [...path, 'toolResult', 'status']);
      }
    });
  });
  data.system?.forEach((block, index) => {
    if (block.text === '')
      out.push(`Value '' at '${at(['system', index, 'text'])}' failed to satisfy constraint: Member must have length greater than or equal to 1`);
  });
  const inference = data.inferenceConfig;
  if (inference?.maxTokens !== undefined && inference.maxTokens < 1) {
    out.push(`Value '${inference.maxTokens}' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  }
  for (const field of ['temperature', 'topP'] as const) {
    const value = inference?.[field];
    if (value === undefined || (value >= 0 && value <= 1)) continue;
    const bound = value < 0 ? 'greater than or equal to 0' : 'less than or equal to 1';
    out.push(`Value '${formatFloat(value)}' at 'inferenceConfig.${field}' failed to satisfy constraint: Member must have value ${bound}`);
  }
  const stops = inference?.stopSequences ?? [];
  if (stops.length > 2500) {
    out.push(
      `Value '[${stops.join(', ')}]' at 'inferenceConfig.stopSequences' failed to satisfy constraint: Member must have length less than or equal to 2500`,
    );
  }
  stops.forEach((stop, index) => {
    if (stop === '')
      out.push(
        `Value '' at '${at(['inferenceConfig', 'stopSequences', index])}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
      );
  });
  const tools = data.toolConfig?.tools;
  if (tools !== undefined && tools.length === 0) {
    out.push("Value '[]' at 'toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1");
  }
  tools?.forEach((tool, index) => {
    if (tool.toolSpec !== undefined) name(tool.toolSpec.name, ['toolConfig', 'tools', index, 'toolSpec', 'name']);
  });
  const choice = data.toolConfig?.toolChoice?.tool;
  if (choice !== undefined) name(choice.name, ['toolConfig', 'toolChoice', 'tool', 'name']);
  const format = data.outputConfig?.textFormat;
  if (format !== undefined) enumOf(format.type, ['json_schema'], ['outputConfig', 'textFormat', 'type']);
  return out;
}

/** Bedrock's own rules about the conversation, first broken one. */
function findRuleViolation(data: BedrockConverseRequest): string | undefined {
  const messages = data.messages ?? [];
  if (messages[0]?.role !== 'user') {
    return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  }
  for (let index = 1; index < messages.length; index++) {
    const role = messages[index]?.role;
    if (role === 'system' || role === messages[index - 1]?.role) {
      return (
        'A conversation must alternate between user and assistant roles. ' +
        'Make sure the conversation alternates between user and assistant roles and try again.'
      );
    }
  }
  let usesTools = false;
  for (const [index, message] of messages.entries()) {
    if (message.content.length === 0) {
      // Approximate wording, modelled on the blank-text message.
      return `The content field in the Message object at messages.${index} is empty. Add a ContentBlock object to the content field and try again.`;
    }
    for (const [position, block] of message.content.entries()) {
      const members = CONTENT_MEMBERS.filter((member) => block[member] !== undefined);
      if (members.length !== 1) {
        // Approximate wording.
        const where = `messages.${index}.content.${position}`;
        return `The ContentBlock object at ${where} must contain exactly one content type. Provide one content type and try again.`;
      }
      if (block.text !== undefined && block.text.trim() === '') {
        return `The text field in the ContentBlock object at messages.${index}.content.${position} is blank. Add text to the text field, and try again.`;
      }
      if (block.toolUse !== undefined || block.toolResult !== undefined) usesTools = true;
    }
    const results = message.content.filter((block) => block.toolResult !== undefined).length;
    const calls = messages[index - 1]?.content.filter((block) => block.toolUse !== undefined).length ?? 0;
    if (results > calls) {
      return `The number of toolResult blocks at messages.${index}.content exceeds the number of toolUse blocks of previous turn.`;
    }
  }
  if (usesTools && data.toolConfig === undefined) return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
  for (const [index, tool] of (data.toolConfig?.tools ?? []).entries()) {
    const schema = tool.toolSpec?.inputSchema.json;
    if (tool.toolSpec !== undefined && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
      return `The format of the value at toolConfig.tools.${index}.toolSpec.inputSchema.json is invalid. Provide a json object for the field and try again.`;
    }
  }
  const jsonSchema = data.outputConfig?.textFormat?.structure.jsonSchema;
  if (data.outputConfig?.textFormat !== undefined && !isJsonObjectText(jsonSchema?.schema)) {
    // Approximate wording, modelled on the inputSchema message.
    return 'The format of the value at outputConfig.textFormat.structure.jsonSchema.schema is invalid. Provide a JSON schema object as a string and try again.';
  }
  return undefined;
}

function validationErrors(messages: readonly string[]): BedrockRequestProblem {
  const count = messages.length;
  return { type: 'ValidationException', message: `${count} validation error${count === 1 ? '' : 's'} detected: ${messages.join('; ')}` };
}

/** `['messages', 0, 'role']` -> `messages.1.member.role`, AWS's 1-based list notation in constraint messages. */
function formatMemberPath(path: readonly PropertyKey[]): string {
  return path.map((key) => (typeof key === 'number' ? `${key + 1}.member` : String(key))).join('.');
}

function formatDottedPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** Floats print as Java prints them: `2.0`, `1.5`. */
function formatFloat(value: number): string {
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

function isJsonObjectText(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
