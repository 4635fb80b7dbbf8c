// PostgreSQL refuses a NUL character in text ("invalid byte sequence for encoding UTF8: 0x00"), where SQLite stores it.
// A client can put one in an id it asks for or a value it sends; without this plugin that is an error, not a miss: a
// 500 for a lookup, and a batch of request-log rows that can never commit. Every string parameter reaches PostgreSQL
// with each NUL replaced by U+FFFD (the replacement character): a lookup simply finds nothing (no stored value holds
// U+FFFD where a client put a NUL), and a stored value keeps every other character. JSON is stored as text written by
// JSON.stringify, which escapes NUL, so documents are unchanged.
import {
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type PrimitiveValueListNode,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  type ValueNode,
} from 'kysely';

/** What PostgreSQL receives for a NUL. */
export const NUL_REPLACEMENT = '\uFFFD';

/** `value` with every NUL replaced when it is a string (arrays of strings too); any other value unchanged. */
export function replaceNul(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', NUL_REPLACEMENT) : value;
  if (Array.isArray(value)) return value.some((entry) => typeof entry === 'string' && entry.includes('\u0000')) ? value.map(replaceNul) : value;
  return value;
}

class NulReplacingTransformer extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    const value = replaceNul(node.value);
    return value === node.value ? node : { ...node, value };
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    if (!node.values.some((value) => value !== replaceNul(value))) return node;
    return { ...node, values: node.values.map(replaceNul) };
  }
}

/** The Kysely plugin of a PostgreSQL store: string parameters without NUL (see the file's header). */
export class PostgresTextPlugin implements KyselyPlugin {
  readonly #transformer = new NulReplacingTransformer();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
