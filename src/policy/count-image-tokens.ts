// The input tokens of one image, the way OpenAI bills them (platform.openai.com/docs/guides/images-vision, "Calculating
// costs"), from the size in the image's header when it is a data URL, else from the largest image a cloud accepts.
// Two billing schemes exist: GPT-4o-class models bill 512 px tiles, newer ones (GPT-4.1 mini/nano, o4-mini, GPT-5
// family) bill 32 px patches times a per-model multiplier. Which one a route uses is not known here, so the count is
// the tile one (OpenAI's documented example figures) and the bound covers both.
import { readDataUrlImageSize, type ImageSize } from './read-image-size.ts';

/** Tile scheme: `detail: low` costs a flat 85 tokens; otherwise 85 plus 170 per 512 px tile of the scaled image. */
const BASE_TOKENS = 85;
const TILE_TOKENS = 170;
const TILE_PIXELS = 512;
/** High detail first scales the image to fit 2048 x 2048, then its shortest side down to 768. */
const FIT_SIDE = 2048;
const SHORT_SIDE = 768;
/** Patch scheme: 32 px patches, at most 1536 (larger images are scaled down), times the model's multiplier. */
const PATCH_PIXELS = 32;
const MAX_PATCHES = 1536;
/** The largest published multiplier (GPT-4.1 nano, GPT-5 nano: 2.46 tokens per patch). */
const MAX_PATCH_MULTIPLIER = 2.46;

/** One image's tokens: `tokens` as the tile scheme bills it, `atMost` no fewer than any scheme bills. */
export interface ImageTokens {
  tokens: number;
  atMost: number;
}

/**
 * The tokens of an `image_url` part (Responses `input_image` parts are counted after translation to one). A base64
 * data URL of a PNG, GIF, JPEG or WebP is sized from its header (never decoded further); a remote URL, another format
 * or a corrupt header counts as the largest image: 8 tiles (2048 x 768 after scaling) and 1536 patches.
 */
export function countImageTokens(url: unknown, detail: unknown): ImageTokens {
  const size = typeof url === 'string' ? readDataUrlImageSize(url) : null;
  const patches = size === null ? MAX_PATCHES : Math.min(MAX_PATCHES, countPatches(size));
  const atMostPatches = Math.ceil(patches * MAX_PATCH_MULTIPLIER);
  if (detail === 'low') return { tokens: BASE_TOKENS, atMost: Math.max(BASE_TOKENS, atMostPatches) };
  const tiles = size === null ? countTiles({ width: FIT_SIDE, height: SHORT_SIDE }) : countTiles(scaleForTiles(size));
  const tokens = BASE_TOKENS + TILE_TOKENS * tiles;
  return { tokens, atMost: Math.max(tokens, atMostPatches) };
}

/** Fits the image in 2048 x 2048, then brings its shortest side down to 768 (keeping the aspect ratio; no upscaling). */
export function scaleForTiles({ width, height }: ImageSize): ImageSize {
  let scaled = { width, height };
  const longest = Math.max(width, height);
  if (longest > FIT_SIDE) scaled = scaleBy(scaled, FIT_SIDE / longest);
  const shortest = Math.min(scaled.width, scaled.height);
  if (shortest > SHORT_SIDE) scaled = scaleBy(scaled, SHORT_SIDE / shortest);
  return scaled;
}

function scaleBy({ width, height }: ImageSize, factor: number): ImageSize {
  return { width: Math.max(1, Math.floor(width * factor)), height: Math.max(1, Math.floor(height * factor)) };
}

function countTiles({ width, height }: ImageSize): number {
  return Math.ceil(width / TILE_PIXELS) * Math.ceil(height / TILE_PIXELS);
}

/** 32 px patches covering the unscaled image: never fewer than after any downscaling. */
function countPatches({ width, height }: ImageSize): number {
  return Math.ceil(width / PATCH_PIXELS) * Math.ceil(height / PATCH_PIXELS);
}
