import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageHeaders, toDataUrl } from '../../test/support/build-image-headers.ts';
import { MAX_HEADER_BYTES, readDataUrlImageSize, readImageSize } from './read-image-size.ts';

describe('readImageSize', () => {
  const cases: { name: string; bytes: Buffer; size: { width: number; height: number } | null }[] = [
    { name: 'PNG IHDR', bytes: imageHeaders.png(1024, 768), size: { width: 1024, height: 768 } },
    { name: 'GIF logical screen', bytes: imageHeaders.gif(320, 200), size: { width: 320, height: 200 } },
    { name: 'JPEG baseline SOF0', bytes: imageHeaders.jpeg(4000, 3000), size: { width: 4000, height: 3000 } },
    {
      name: 'JPEG progressive SOF2 after 40 KB of EXIF',
      bytes: imageHeaders.jpeg(640, 480, { sof: 0xc2, padding: 40_000 }),
      size: { width: 640, height: 480 },
    },
    { name: 'WebP lossy VP8', bytes: imageHeaders.webp('VP8 ', 800, 600), size: { width: 800, height: 600 } },
    { name: 'WebP lossless VP8L', bytes: imageHeaders.webp('VP8L', 16_384, 3), size: { width: 16_384, height: 3 } },
    { name: 'WebP extended VP8X', bytes: imageHeaders.webp('VP8X', 10_000, 20_000), size: { width: 10_000, height: 20_000 } },
    { name: 'JPEG DHT (C4) is not a frame header', bytes: imageHeaders.jpeg(10, 10, { sof: 0xc4 }), size: null },
    { name: 'a zero width is corrupt', bytes: imageHeaders.png(0, 100), size: null },
    { name: 'a truncated PNG', bytes: imageHeaders.png(100, 100).subarray(0, 20), size: null },
    { name: 'a JPEG segment length of 0', bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00, 0, 0, 0, 0]), size: null },
    { name: 'not an image', bytes: Buffer.from('hello, world: not an image at all'), size: null },
    { name: 'nothing', bytes: Buffer.alloc(0), size: null },
  ];
  for (const { name, bytes, size } of cases) {
    it(name, () => assert.deepEqual(readImageSize(bytes), size));
  }
});

describe('readDataUrlImageSize', () => {
  it('reads the header of a base64 data URL, whatever follows it', () => {
    assert.deepEqual(readDataUrlImageSize(toDataUrl(imageHeaders.png(2048, 4096), 'image/png', 5_000_000)), { width: 2048, height: 4096 });
    assert.deepEqual(readDataUrlImageSize(toDataUrl(imageHeaders.gif(7, 9), 'image/gif')), { width: 7, height: 9 });
  });

  it('gives up on a frame header past MAX_HEADER_BYTES, on remote URLs, and on data URLs that are not base64', () => {
    assert.equal(readDataUrlImageSize(toDataUrl(imageHeaders.jpeg(640, 480, { padding: MAX_HEADER_BYTES + 10 }), 'image/jpeg')), null);
    assert.equal(readDataUrlImageSize('https://example.com/a.png'), null);
    assert.equal(readDataUrlImageSize(`data:image/png,${imageHeaders.png(10, 10).toString('latin1')}`), null);
    assert.equal(readDataUrlImageSize(`data:${'x'.repeat(1000)};base64,AAAA`), null);
  });
});
