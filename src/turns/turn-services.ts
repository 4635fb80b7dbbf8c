// The long-lived services a Responses turn uses beyond a model call's: the store its state lives in, the cache of
// chains it continues, and the key compaction items are sealed with.
import type { CallServices } from '../calls/index.ts';
import type { ResponseChainCache } from '../runtime/index.ts';
import type { McpEngine } from '../mcp/index.ts';
import type { Store } from '../store/index.ts';

/** Built once per gateway. */
export interface TurnServices extends CallServices {
  store: Store;
  /** The items of previous_response_id chains this gateway stored or read, so that long chains are not re-read. */
  chainCache: ResponseChainCache;
  /** The installation's key sealing compaction items (runtime/compaction-content.ts); never leaves the gateway. */
  compactionKey: Buffer;
  /** Lists and calls the tools of MCP servers for the Responses `mcp` tool; without it, an `mcp` tool is refused. */
  mcp?: McpEngine;
}
