// Minimal PNG, GIF, JPEG and WebP headers of a known size, and data URLs of them, for tests of image token counting.

/** Minimal image headers of a known size, built as each format's specification lays them out. */
export const imageHeaders = {
  png(width: number, height: number): Buffer {
    const ihdr = Buffer.alloc(25);
    ihdr.writeUInt32BE(13, 0);
    ihdr.write('IHDR', 4, 'latin1');
    ihdr.writeUInt32BE(width, 8);
    ihdr.writeUInt32BE(height, 12);
    ihdr.set([8, 6, 0, 0, 0], 16);
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
  },
  gif(width: number, height: number): Buffer {
    const header = Buffer.alloc(13);
    header.write('GIF89a', 0, 'latin1');
    header.writeUInt16LE(width, 6);
    header.writeUInt16LE(height, 8);
    return header;
  },
  /** SOI, a JFIF APP0 segment, `padding` bytes of an APP1 (EXIF) segment, then a SOFn frame header. */
  jpeg(width: number, height: number, options: { sof?: number; padding?: number } = {}): Buffer {
    const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
    const segments: Buffer[] = [Buffer.from([0xff, 0xd8]), app0];
    for (let left = options.padding ?? 0; left > 0; left -= 65_533) {
      const size = Math.min(left, 65_533);
      const app1 = Buffer.alloc(4 + size);
      app1.set([0xff, 0xe1]);
      app1.writeUInt16BE(size + 2, 2);
      segments.push(app1);
    }
    const sof = Buffer.alloc(19);
    sof.set([0xff, options.sof ?? 0xc0]);
    sof.writeUInt16BE(17, 2);
    sof[4] = 8;
    sof.writeUInt16BE(height, 5);
    sof.writeUInt16BE(width, 7);
    return Buffer.concat([...segments, sof]);
  },
  webp(chunk: 'VP8 ' | 'VP8L' | 'VP8X', width: number, height: number): Buffer {
    const data = Buffer.alloc(20);
    if (chunk === 'VP8 ') {
      data.set([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a]);
      data.writeUInt16LE(width, 6);
      data.writeUInt16LE(height, 8);
    } else if (chunk === 'VP8L') {
      data[0] = 0x2f;
      data.writeUInt32LE(((width - 1) | ((height - 1) << 14)) >>> 0, 1);
    } else {
      data.writeUIntLE(width - 1, 4, 3);
      data.writeUIntLE(height - 1, 7, 3);
    }
    const header = Buffer.alloc(20);
    header.write('RIFF', 0, 'latin1');
    header.writeUInt32LE(12 + data.length, 4);
    header.write('WEBPVP8 ', 8, 'latin1');
    header.write(chunk, 12, 'latin1');
    header.writeUInt32LE(data.length, 16);
    return Buffer.concat([header, data]);
  },
};

/** A base64 data URL of `bytes`, followed by `trailing` bytes of image data (zeros). */
export function toDataUrl(bytes: Buffer, mediaType = 'image/png', trailing = 0): string {
  return `data:${mediaType};base64,${Buffer.concat([bytes, Buffer.alloc(trailing)]).toString('base64')}`;
}
