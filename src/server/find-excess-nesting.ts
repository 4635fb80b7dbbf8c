// Finds where parsed JSON nests deeper than a bound. JSON.parse itself copes with any depth, but recursive code after
// it (JSON.stringify when a body is sent upstream, validators, translators) overflows the stack on a few thousand
// levels: 20 KB of `[` would otherwise take a route down. Checked once per body, right after parsing.

/** Deepest nesting a request body may have: the body object is level 1. Deep tool schemas use about 25. */
export const MAX_JSON_DEPTH = 64;

interface Frame {
  value: object;
  depth: number;
  key: string | number | null;
  parent: Frame | null;
}

/**
 * The path (OpenAI's `param` notation parts) of the first object or array nested deeper than `maxDepth`, or null when
 * none is. Iterative, so that it cannot overflow itself; only containers are visited one by one, strings and numbers
 * cost nothing.
 */
export function findExcessNesting(value: unknown, maxDepth: number = MAX_JSON_DEPTH): (string | number)[] | null {
  if (value === null || typeof value !== 'object') return null;
  const stack: Frame[] = [{ value, depth: 1, key: null, parent: null }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if (frame.depth > maxDepth) return pathOf(frame);
    if (Array.isArray(frame.value)) {
      const items = frame.value as unknown[];
      for (let index = 0; index < items.length; index += 1) {
        const item = items[index];
        if (item !== null && typeof item === 'object') stack.push({ value: item, depth: frame.depth + 1, key: index, parent: frame });
      }
    } else {
      const record = frame.value as Record<string, unknown>;
      for (const key in record) {
        const item = record[key];
        if (item !== null && typeof item === 'object') stack.push({ value: item, depth: frame.depth + 1, key, parent: frame });
      }
    }
  }
  return null;
}

function pathOf(frame: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Frame | null = frame; at !== null; at = at.parent) if (at.key !== null) path.push(at.key);
  return path.reverse();
}
