// Reads an image's width and height from the fixed header fields of PNG, GIF, JPEG and WebP, without decoding the
// image: a data URL's base64 is decoded only as far as the header needs (at most MAX_HEADER_BYTES).
// Formats: PNG IHDR (www.w3.org/TR/png/#11IHDR), GIF logical screen (www.w3.org/Graphics/GIF/spec-gif89a.txt),
// JPEG SOFn markers (ITU-T T.81, B.2.2), WebP VP8/VP8L/VP8X chunks (developers.google.com/speed/webp/docs/riff_container).

/** Header bytes read from a data URL: at most 64 KiB (a JPEG's metadata segments may come before its frame header). */
export const MAX_HEADER_BYTES = 64 * 1024;

/** An image's size in pixels. */
export interface ImageSize {
  width: number;
  height: number;
}

/**
 * The size of the image in a base64 `data:` URL, or null when it is not one, is not PNG, GIF, JPEG or WebP, or its
 * header is corrupt or lies past the first MAX_HEADER_BYTES. Decodes only that prefix; the URL is never copied whole.
 */
export function readDataUrlImageSize(url: string): ImageSize | null {
  if (!url.startsWith('data:')) return null;
  // The media type and its parameters are short: the comma is looked for in the first 256 characters only.
  const comma = url.slice(0, 256).indexOf(',');
  if (comma < 0 || !url.slice(5, comma).toLowerCase().endsWith(';base64')) return null;
  // Four base64 characters make three bytes: a multiple of 4 characters decodes without a partial group.
  const length = Math.ceil(MAX_HEADER_BYTES / 3) * 4;
  return readImageSize(Buffer.from(url.slice(comma + 1, comma + 1 + length), 'base64'));
}

/** The size written in the header of a PNG, GIF, JPEG or WebP image's first bytes, or null (0 x 0 counts as corrupt). */
export function readImageSize(bytes: Uint8Array): ImageSize | null {
  const size = readPng(bytes) ?? readGif(bytes) ?? readJpeg(bytes) ?? readWebp(bytes);
  return size !== null && size.width > 0 && size.height > 0 ? size : null;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function readPng(bytes: Uint8Array): ImageSize | null {
  // Signature, then the first chunk, which must be IHDR: length (4), type (4), width (4), height (4), big-endian.
  if (bytes.length < 24 || !PNG_SIGNATURE.every((byte, index) => bytes[index] === byte)) return null;
  if (ascii(bytes, 12, 4) !== 'IHDR') return null;
  const view = viewOf(bytes);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function readGif(bytes: Uint8Array): ImageSize | null {
  // "GIF87a" or "GIF89a", then the logical screen's width and height, little-endian 16-bit.
  if (bytes.length < 10 || !/^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return null;
  const view = viewOf(bytes);
  return { width: view.getUint16(6, true), height: view.getUint16(8, true) };
}

function readJpeg(bytes: Uint8Array): ImageSize | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  const view = viewOf(bytes);
  let offset = 2;
  // Each segment: 0xFF, marker, 16-bit big-endian length (including itself); at most one pass over the prefix.
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1] ?? 0;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    // Standalone markers (TEM, RSTn) carry no length; SOS starts entropy-coded data: no frame header came before it.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return null;
    const length = view.getUint16(offset + 2);
    if (length < 2) return null;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision (1), height (2), width (2).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (offset + 9 > bytes.length) return null;
      return { width: view.getUint16(offset + 7), height: view.getUint16(offset + 5) };
    }
    offset += 2 + length;
  }
  return null;
}

function readWebp(bytes: Uint8Array): ImageSize | null {
  // RIFF container: "RIFF", size, "WEBP", then the first chunk's FourCC and size; the chunk's data starts at 20.
  if (bytes.length < 30 || ascii(bytes, 0, 4) !== 'RIFF' || ascii(bytes, 8, 4) !== 'WEBP') return null;
  const view = viewOf(bytes);
  switch (ascii(bytes, 12, 4)) {
    case 'VP8 ':
      // Lossy: a 3-byte frame tag, the start code 9D 01 2A, then 14-bit width and height (2 bits of scale above).
      if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) return null;
      return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
    case 'VP8L': {
      // Lossless: signature 0x2F, then 14 bits of width - 1 and 14 bits of height - 1, little-endian.
      if (bytes[20] !== 0x2f) return null;
      const bits = view.getUint32(21, true);
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    case 'VP8X':
      // Extended: flags (4), then 24-bit canvas width - 1 and height - 1, little-endian.
      return { width: readUint24(bytes, 24) + 1, height: readUint24(bytes, 27) + 1 };
    default:
      return null;
  }
}

function readUint24(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8) | ((bytes[offset + 2] ?? 0) << 16);
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
