// Byte-level Server-Sent Events splitter for the streaming hot path: finds event boundaries without decoding bytes,
// so events can be forwarded unchanged; only `data` and `event` field values are decoded.
// Format: WHATWG HTML Living Standard, "Server-sent events", §9.2.6 "Interpreting an event stream"
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
// lines end with CRLF, LF or CR; a blank line ends an event; a line starting with `:` is a comment; `data` values are
// joined with LF; one leading space after the colon is dropped; an event unfinished at end of stream is discarded.

/** One event as it arrived. */
export interface SseEvent {
  /** The event's exact bytes including its terminating blank line (a view: the splitter never writes to it again). */
  raw: Uint8Array;
  /**
   * The `data` field values joined with `\n`; `null` when the event has no `data` field: comments, keep-alives, an
   * extra blank line, or the LF of a CRLF whose CR ended the previous event in an earlier chunk.
   */
  data: string | null;
  /** The `event` field (the last one wins); `null` when absent. */
  event: string | null;
}

/** An incremental splitter: feed it chunks as they arrive, it returns the events they complete. */
export interface SseSplitter {
  /** Adds a chunk (split anywhere, even inside a UTF-8 character or a CRLF) and returns the events it completed. */
  push(chunk: Uint8Array): SseEvent[];
  /** Bytes of an event that has started but not ended; the standard discards them if the stream ends here. */
  readonly pendingBytes: number;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const EMPTY = new Uint8Array(0);

/**
 * Creates an incremental SSE splitter. Events lying wholly inside one pushed chunk are returned as views of that
 * chunk (no copy); only an unfinished tail is copied, into a buffer that grows by doubling, so a long event spread
 * over many chunks costs linear time.
 */
export function createSseSplitter(): SseSplitter {
  // Unconsumed bytes = the start of the unfinished event. `owned`: `buffer` is our own allocation that no returned
  // event views, so further chunks may be written into its spare capacity.
  let buffer: Uint8Array = EMPTY;
  let length = 0;
  let owned = false;
  // Scan state as offsets from the start of the unfinished event, so it survives re-buffering.
  let scanFrom = 0;
  let lineStart = 0;
  // Value ranges of `data` lines (start, end pairs) and of the last `event` line, relative to the event start.
  let dataRanges: number[] = [];
  let eventStartOffset = -1;
  let eventEndOffset = -1;
  let atStreamStart = true;
  // The last chunk ended with a CR: if the next byte is LF, it completes that CRLF and is not a line of its own.
  let afterTrailingCR = false;

  function append(chunk: Uint8Array): Uint8Array {
    if (length === 0) {
      buffer = chunk;
      length = chunk.length;
      owned = false;
      return chunk;
    }
    if (!owned || buffer.length - length < chunk.length) {
      const grown = new Uint8Array(Math.max(length + chunk.length, buffer.length * 2, 1024));
      grown.set(buffer.subarray(0, length));
      buffer = grown;
      owned = true;
    }
    buffer.set(chunk, length);
    length += chunk.length;
    return buffer.subarray(0, length);
  }

  /** Records the field on line [from, end) of the event starting at `base` (absolute offsets into `bytes`). */
  function readField(bytes: Uint8Array, base: number, from: number, end: number): void {
    if (atStreamStart) {
      atStreamStart = false;
      // A UTF-8 byte order mark at the very start of the stream is not part of the first field name.
      if (end - from >= 3 && bytes[from] === 0xef && bytes[from + 1] === 0xbb && bytes[from + 2] === 0xbf) from += 3;
    }
    if (from === end || bytes[from] === COLON) return;
    let colon = from;
    while (colon < end && bytes[colon] !== COLON) colon++;
    let valueStart = colon < end ? colon + 1 : end;
    if (valueStart < end && bytes[valueStart] === SPACE) valueStart++;
    const nameLength = colon - from;
    if (nameLength === 4 && isFieldName(bytes, from, DATA)) {
      dataRanges.push(valueStart - base, end - base);
    } else if (nameLength === 5 && isFieldName(bytes, from, EVENT)) {
      eventStartOffset = valueStart - base;
      eventEndOffset = end - base;
    }
  }

  function takeEvent(bytes: Buffer, start: number, end: number): SseEvent {
    const event: SseEvent = {
      raw: bytes.subarray(start, end),
      data: dataRanges.length === 0 ? null : decodeData(bytes, start, dataRanges),
      event: eventStartOffset < 0 ? null : bytes.toString('utf8', start + eventStartOffset, start + eventEndOffset),
    };
    atStreamStart = false;
    dataRanges = [];
    eventStartOffset = -1;
    eventEndOffset = -1;
    return event;
  }

  return {
    get pendingBytes() {
      return length;
    },
    push(chunk) {
      if (chunk.length === 0) return [];
      const appended = append(chunk);
      const fromBuffer = appended !== chunk;
      // A Buffer view (no copy) for Node's native indexOf and UTF-8 decoding, both faster than the typed-array ones.
      const bytes = Buffer.from(appended.buffer, appended.byteOffset, appended.length);
      const events: SseEvent[] = [];
      const n = bytes.length;
      let eventStart = 0;
      let i = scanFrom;
      if (afterTrailingCR) {
        afterTrailingCR = false;
        if (bytes[i] === LF) {
          if (i === 0) {
            // The CR ended an event, which was returned already: hand out its LF alone, as an event without data,
            // so that no byte is lost or moved into another event.
            events.push({ raw: bytes.subarray(0, 1), data: null, event: null });
            eventStart = 1;
          } else {
            // The CR ended a line inside the unfinished event: the LF is part of that line's end.
            lineStart = i + 1;
          }
          i++;
        }
      }
      // Fast path: most streams use LF only, so the native indexOf finds line ends; a byte loop handles CR.
      const hasCR = bytes.indexOf(CR, i) !== -1;
      while (i < n) {
        i = hasCR ? findLineBreak(bytes, i, n) : bytes.indexOf(LF, i);
        if (i === -1) {
          i = n;
          break;
        }
        const byte = bytes[i];
        let next = i + 1;
        if (byte === CR) {
          // A CR ends the line now; if it is the last byte, an LF starting the next chunk belongs to it.
          if (next === n) afterTrailingCR = true;
          else if (bytes[next] === LF) next++;
        }
        const absoluteLineStart = eventStart + lineStart;
        if (i === absoluteLineStart) {
          events.push(takeEvent(bytes, eventStart, next));
          eventStart = next;
          lineStart = 0;
        } else {
          readField(bytes, eventStart, absoluteLineStart, i);
          lineStart = next - eventStart;
        }
        i = next;
      }
      scanFrom = i - eventStart;
      if (eventStart === 0) return events;
      // The bytes before eventStart were handed out as views: keep the tail, and never write into a buffer that a
      // returned event still views (the next append copies the tail into a fresh buffer).
      if (fromBuffer) owned = false;
      length = n - eventStart;
      buffer = length === 0 ? EMPTY : bytes.subarray(eventStart);
      return events;
    },
  };
}

/**
 * Splits a byte stream into SSE events; see {@link createSseSplitter}. An unfinished event at the end of the stream
 * is dropped, as the standard says; callers that need an end marker (`data: [DONE]`) notice its absence.
 */
export async function* splitSseEvents(source: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent, void, undefined> {
  const splitter = createSseSplitter();
  for await (const chunk of source) {
    for (const event of splitter.push(chunk)) yield event;
  }
}

/** The index of the next CR or LF at or after `from`, or -1. */
function findLineBreak(bytes: Uint8Array, from: number, end: number): number {
  for (let k = from; k < end; k++) {
    const byte = bytes[k];
    if (byte === LF || byte === CR) return k;
  }
  return -1;
}

const DATA = [0x64, 0x61, 0x74, 0x61]; // "data"
const EVENT = [0x65, 0x76, 0x65, 0x6e, 0x74]; // "event"

function isFieldName(bytes: Uint8Array, from: number, name: readonly number[]): boolean {
  for (let k = 0; k < name.length; k++) if (bytes[from + k] !== name[k]) return false;
  return true;
}

function decodeData(bytes: Buffer, base: number, ranges: readonly number[]): string {
  if (ranges.length === 2) return bytes.toString('utf8', base + ranges[0]!, base + ranges[1]!);
  const parts: string[] = [];
  for (let k = 0; k < ranges.length; k += 2) parts.push(bytes.toString('utf8', base + ranges[k]!, base + ranges[k + 1]!));
  return parts.join('\n');
}
