import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageHeaders, toDataUrl } from '../../test/support/build-image-headers.ts';
import { countImageTokens, scaleForTiles } from './count-image-tokens.ts';

// The patch scheme's bound: 32 px patches (at most 1536) times the largest multiplier, 2.46.
const patchBound = (width: number, height: number) => Math.ceil(Math.min(1536, Math.ceil(width / 32) * Math.ceil(height / 32)) * 2.46);

describe('countImageTokens', () => {
  const cases: { name: string; url: unknown; detail?: unknown; tokens: number; atMost: number }[] = [
    // OpenAI's worked examples: 1024 x 1024 -> 768 x 768, 4 tiles; 2048 x 4096 -> 1024 x 2048 -> 768 x 1536, 6 tiles.
    { name: '1024 x 1024 PNG, high: 4 tiles', url: toDataUrl(imageHeaders.png(1024, 1024)), detail: 'high', tokens: 765, atMost: patchBound(1024, 1024) },
    { name: '2048 x 4096 PNG, auto: 6 tiles', url: toDataUrl(imageHeaders.png(2048, 4096)), detail: 'auto', tokens: 1105, atMost: 3779 },
    {
      name: '512 x 512 GIF, no detail: 1 tile (never scaled up)',
      url: toDataUrl(imageHeaders.gif(512, 512), 'image/gif'),
      tokens: 255,
      atMost: patchBound(512, 512),
    },
    { name: '4000 x 3000 JPEG: 1024 x 768, 4 tiles', url: toDataUrl(imageHeaders.jpeg(4000, 3000), 'image/jpeg'), tokens: 765, atMost: 3779 },
    { name: '100 x 100 WebP (VP8): 1 tile', url: toDataUrl(imageHeaders.webp('VP8 ', 100, 100), 'image/webp'), tokens: 255, atMost: 255 },
    {
      name: '2048 x 700 WebP (VP8X): 4 x 2 tiles',
      url: toDataUrl(imageHeaders.webp('VP8X', 2048, 700), 'image/webp'),
      tokens: 85 + 170 * 8,
      atMost: patchBound(2048, 700),
    },
    {
      name: 'low detail: a flat 85, whatever the size',
      url: toDataUrl(imageHeaders.png(8000, 8000), 'image/png', 6_700_000),
      detail: 'low',
      tokens: 85,
      atMost: 3779,
    },
    { name: 'low detail of a tiny image', url: toDataUrl(imageHeaders.png(16, 16)), detail: 'low', tokens: 85, atMost: 85 },
    { name: 'a remote URL: the largest image (8 tiles, 1536 patches)', url: 'https://example.com/cat.png', tokens: 1445, atMost: 3779 },
    { name: 'a remote URL, low detail', url: 'https://example.com/cat.png', detail: 'low', tokens: 85, atMost: 3779 },
    { name: 'corrupt data: the largest image', url: `data:image/png;base64,${'A'.repeat(100_000)}`, tokens: 1445, atMost: 3779 },
    { name: 'no URL at all: the largest image', url: undefined, tokens: 1445, atMost: 3779 },
  ];
  for (const { name, url, detail, tokens, atMost } of cases) {
    it(name, () => assert.deepEqual(countImageTokens(url, detail), { tokens, atMost }));
  }

  it('reads no more of a data URL than its header, however large the image', () => {
    const huge = toDataUrl(imageHeaders.png(1024, 1024), 'image/png', 30 * 1024 * 1024);
    const started = performance.now();
    for (let index = 0; index < 100; index++) countImageTokens(huge, 'high');
    // 100 full decodes of 40 MB of base64 would take seconds; 100 header reads take milliseconds.
    assert.ok(performance.now() - started < 1000, `${performance.now() - started} ms`);
  });
});

describe('scaleForTiles', () => {
  it('fits 2048 x 2048, then brings the shortest side down to 768, keeping the aspect ratio', () => {
    assert.deepEqual(scaleForTiles({ width: 4096, height: 8192 }), { width: 768, height: 1536 });
    assert.deepEqual(scaleForTiles({ width: 300, height: 200 }), { width: 300, height: 200 });
    assert.deepEqual(scaleForTiles({ width: 100_000, height: 1 }), { width: 2048, height: 1 });
  });
});
