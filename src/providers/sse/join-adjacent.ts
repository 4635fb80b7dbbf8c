// Joins byte ranges that leave together (the SSE events of one network chunk) without copying when they can be.
/** One chunk for several event byte ranges: a view when they are adjacent in one buffer, else a copy. */
export function joinAdjacent(parts: Uint8Array[]): Uint8Array {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  let end = first.byteOffset + first.length;
  for (let k = 1; k < parts.length; k++) {
    const part = parts[k]!;
    if (part.buffer !== first.buffer || part.byteOffset !== end) return Buffer.concat(parts);
    end += part.length;
  }
  return new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
}
