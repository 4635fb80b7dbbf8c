// Deterministic, content-aware chat replies shared by every cloud emulator: the same request always gets the
// same text, tool calls or JSON, cut by `stop` and the token limit the way a model would be, with token usage.
// Each emulator converts its cloud's request into a ReplyRequest and the ChatReply back into its wire format.
import { countPromptTokens, countTokens, truncateToTokens } from './count-tokens.ts';
import { generateSchemaInstance } from './generate-schema-instance.ts';
import { hashToIndex, sha256Hex } from './sha256-hex.ts';

/** One message, reduced to what reply generation reads. */
export interface ReplyMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  /** All text parts of the message, joined with newlines. */
  text: string;
  /** Number of image parts. */
  images?: number;
  /** Tool calls an assistant message made. */
  toolCalls?: readonly { id: string; name: string; arguments: string }[];
  /** For a tool result: the id of the call it answers. */
  toolCallId?: string;
}

/** A function the model may call. */
export interface ReplyTool {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters?: unknown;
  /** A custom (freeform) tool of the Responses API: its input is text, not JSON arguments. */
  freeform?: boolean;
  /** The Responses API's client-executed tool search: called like a function, answered as a tool_search_call. */
  toolSearch?: boolean;
}

/** `auto` decides from the conversation, `none` never calls, `required` always calls, `{name}` calls that tool. */
export type ReplyToolChoice = 'auto' | 'none' | 'required' | { name: string };
/** Plain text, any JSON object, or JSON valid against `schema`. */
export type ReplyFormat = { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; schema: unknown };

/** A cloud-neutral chat request. */
export interface ReplyRequest {
  /** Named in the reply text, so a test can tell which cloud answered. */
  cloud: string;
  messages: readonly ReplyMessage[];
  tools?: readonly ReplyTool[];
  toolChoice?: ReplyToolChoice;
  parallelToolCalls?: boolean;
  format?: ReplyFormat;
  /** Upper bound of completion tokens per choice. */
  maxTokens?: number;
  stop?: readonly string[];
  /** Number of choices, 1 by default. */
  n?: number;
}

/** Why a choice ended, in OpenAI's terms; other clouds map these to their own. */
export type ReplyFinishReason = 'stop' | 'length' | 'tool_calls';

/** One generated tool call. */
export interface ReplyToolCall {
  id: string;
  name: string;
  /** JSON text that validates against the tool's parameters schema; a freeform tool's input text. */
  arguments: string;
  /** Set for a call of a freeform tool or a tool search (see ReplyTool). */
  kind?: 'custom' | 'tool_search';
}

/** One generated choice: text or tool calls. */
export interface ReplyChoice {
  index: number;
  /** Text (or JSON text); null when the choice calls tools. */
  content: string | null;
  toolCalls: ReplyToolCall[];
  finishReason: ReplyFinishReason;
  completionTokens: number;
}

/** The generated reply with its token usage. */
export interface ChatReply {
  choices: ReplyChoice[];
  /** Messages counted as in OpenAI's cookbook, plus the tool definitions serialised as JSON. */
  promptTokens: number;
  /** Sum over the choices. */
  completionTokens: number;
}

const FILLER_WORDS = [
  'amber',
  'basil',
  'cedar',
  'delta',
  'ember',
  'fjord',
  'garnet',
  'harbor',
  'indigo',
  'juniper',
  'kestrel',
  'lagoon',
  'meadow',
  'nectar',
  'orchid',
  'pebble',
  'quartz',
  'raven',
  'saffron',
  'tundra',
  'umber',
  'violet',
  'willow',
  'yarrow',
  'zephyr',
  'copper',
  'marble',
  'thistle',
  'canyon',
  'glacier',
  'lantern',
  'meridian',
];
const QUOTED_WORDS = 12;
const FILLER_COUNT = 10;

/** Generates the reply to `request`; the same request always yields the same reply. */
export function generateChatReply(request: ReplyRequest): ChatReply {
  const seed = sha256Hex(request.cloud, JSON.stringify(request.messages));
  const tools = pickTools(request);
  const choices: ReplyChoice[] = [];
  for (let index = 0; index < (request.n ?? 1); index++) {
    choices.push(tools.length > 0 ? toolChoice(tools, seed, index, readQuotedBlock(request.messages)) : textChoice(request, seed, index));
  }
  const toolText = request.tools !== undefined && request.tools.length > 0 ? [JSON.stringify(request.tools)] : [];
  const promptTokens =
    countPromptTokens(
      request.messages.map((message) => ({
        role: message.role,
        texts: [message.text, ...(message.toolCalls ?? []).flatMap((call) => [call.name, call.arguments])],
      })),
    ) + toolText.reduce((sum, text) => sum + countTokens(text), 0);
  return { choices, promptTokens, completionTokens: choices.reduce((sum, choice) => sum + choice.completionTokens, 0) };
}

/** The tools this request calls: forced by `tool_choice`, or named (or asked for) in the last user message. */
function pickTools(request: ReplyRequest): ReplyTool[] {
  const tools = request.tools ?? [];
  const choice = request.toolChoice ?? 'auto';
  if (tools.length === 0 || choice === 'none') return [];
  if (typeof choice === 'object') return tools.filter((tool) => tool.name === choice.name).slice(0, 1);
  // A tool result was just handed back: answer it in words, unless a call is required.
  if (request.messages.at(-1)?.role === 'tool' && choice !== 'required') return [];
  const said = (lastUserMessage(request.messages)?.text ?? '').toLowerCase();
  const named = tools.filter((tool) => {
    const name = tool.name.toLowerCase();
    return said.includes(name) || said.includes(name.replace(/[_-]/g, ' '));
  });
  if (named.length > 0) return request.parallelToolCalls === false ? named.slice(0, 1) : named;
  const asked = /\b(call|use|invoke|run)\b[^.?!]*\b(tool|function)s?\b/.test(said);
  return choice === 'required' || asked ? tools.slice(0, 1) : [];
}

function toolChoice(tools: ReplyTool[], seed: string, index: number, quoted: string | null): ReplyChoice {
  const toolCalls = tools.map((tool, position): ReplyToolCall => {
    const id = `call_${sha256Hex(seed, String(index), String(position), tool.name).slice(0, 24)}`;
    if (tool.freeform === true) return { id, name: tool.name, arguments: quoted ?? `input for ${tool.name}`, kind: 'custom' };
    const args = generateSchemaInstance(tool.parameters ?? { type: 'object', properties: {} }, `${seed}:${tool.name}`);
    const filled = quoted === null ? args : fillFirstString(tool.parameters, args, quoted);
    return { id, name: tool.name, arguments: JSON.stringify(filled), ...(tool.toolSearch === true ? { kind: 'tool_search' as const } : {}) };
  });
  const completionTokens = toolCalls.reduce((sum, call) => sum + countTokens(call.name) + countTokens(call.arguments), 0);
  return { index, content: null, toolCalls, finishReason: 'tool_calls', completionTokens };
}

/**
 * The first fenced block (```...```) of the last user message, or null: a model asked to call a tool "with" some
 * text passes that text, so the emulated model does too (a shell command, a patch), which makes tool round trips
 * through real agents meaningful.
 */
function readQuotedBlock(messages: readonly ReplyMessage[]): string | null {
  const text = lastUserMessage(messages)?.text ?? '';
  const match = /```[^\n`]*\n([\s\S]*?)```/.exec(text) ?? /```([^`]+)```/.exec(text);
  return match?.[1] === undefined ? null : match[1];
}

/** `args` with the first string property of the schema (a required one first) set to `text`. */
function fillFirstString(schema: unknown, args: unknown, text: string): unknown {
  if (typeof args !== 'object' || args === null || Array.isArray(args) || typeof schema !== 'object' || schema === null) return args;
  const { properties, required } = schema as { properties?: Record<string, { type?: unknown }>; required?: unknown };
  const strings = Object.entries(properties ?? {})
    .filter(([, property]) => property?.type === 'string')
    .map(([name]) => name);
  const first = strings.find((name) => Array.isArray(required) && required.includes(name)) ?? strings[0];
  return first === undefined ? args : { ...(args as Record<string, unknown>), [first]: text };
}

function textChoice(request: ReplyRequest, seed: string, index: number): ReplyChoice {
  const text = composeText(request, seed, index);
  let content = text;
  switch (request.format?.type) {
    case 'json_object':
      content = JSON.stringify({ emulator: request.cloud, reply: text });
      break;
    case 'json_schema':
      content = JSON.stringify(generateSchemaInstance(request.format.schema, `${seed}:${index}`));
      break;
  }
  let finishReason: ReplyFinishReason = 'stop';
  for (const stop of request.stop ?? []) {
    const at = stop === '' ? -1 : content.indexOf(stop);
    if (at >= 0) content = content.slice(0, at);
  }
  if (request.maxTokens !== undefined && countTokens(content) > request.maxTokens) {
    content = truncateToTokens(content, request.maxTokens);
    finishReason = 'length';
  }
  return { index, content, toolCalls: [], finishReason, completionTokens: countTokens(content) };
}

function composeText(request: ReplyRequest, seed: string, index: number): string {
  const prefix = index > 0 ? `(choice ${index + 1}) ` : '';
  const count = request.messages.length;
  const last = request.messages.at(-1);
  let opening: string;
  if (last?.role === 'tool') {
    const name = findToolName(request.messages, last.toolCallId) ?? 'a tool';
    opening = `Emulated reply from ${request.cloud} after ${name} returned a result (sha256 ${sha256Hex(last.text).slice(0, 8)}): "${quote(last.text)}".`;
  } else {
    const user = lastUserMessage(request.messages) ?? last;
    const text = user?.text ?? '';
    const images = user?.images ?? 0;
    const withImages = images > 0 ? ` with ${images} image${images === 1 ? '' : 's'}` : '';
    opening =
      `Emulated reply from ${request.cloud} to ${count} message${count === 1 ? '' : 's'}. ` +
      `Last user message (sha256 ${sha256Hex(text).slice(0, 8)})${withImages}: "${quote(text)}".`;
  }
  const filler = Array.from({ length: FILLER_COUNT }, (_, position) => FILLER_WORDS[hashToIndex(FILLER_WORDS.length, seed, String(index), String(position))]);
  return `${prefix}${opening} Deterministic filler follows: ${filler.join(' ')}.`;
}

function quote(text: string): string {
  const words = text.split(/\s+/).filter((word) => word !== '');
  return words.slice(0, QUOTED_WORDS).join(' ') + (words.length > QUOTED_WORDS ? ' ...' : '');
}

function lastUserMessage(messages: readonly ReplyMessage[]): ReplyMessage | undefined {
  return messages.findLast((message) => message.role === 'user');
}

function findToolName(messages: readonly ReplyMessage[], callId: string | undefined): string | undefined {
  for (const message of messages) {
    const call = message.toolCalls?.find((candidate) => candidate.id === callId);
    if (call !== undefined) return call.name;
  }
  return undefined;
}
