// Virtual key secrets and ids: how they are made, and the keyed hash under which a key is stored and looked up.
import { createHmac, randomBytes, type KeyObject } from 'node:crypto';

/** Every virtual key secret starts with this, so that people and secret scanners can tell Crossway keys apart. */
export const VIRTUAL_KEY_PREFIX = 'sk-cw-';

/** How many characters of a secret listings show (`sk-cw-` and six more: enough to tell keys apart, too few to guess). */
export const KEY_PREFIX_LENGTH = 12;

/** A new secret: `sk-cw-` + base64url of 32 random bytes (256 bits). */
export function createVirtualKeySecret(): string {
  return VIRTUAL_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** A new key id: `key_` + 24 hex digits (96 random bits); public, unlike the secret. */
export function createApiKeyId(): string {
  return `key_${randomBytes(12).toString('hex')}`;
}

/**
 * Hex HMAC-SHA-256 of the secret under the installation's hash secret. Keyed, so that a leaked database alone does not
 * let anyone test guesses; a fast hash suffices because the secrets are random, not passwords.
 */
export function hashVirtualKey(secret: string, hashSecret: Buffer | KeyObject): string {
  return createHmac('sha256', hashSecret).update(secret, 'utf8').digest('hex');
}

/** The part of a secret shown in listings: its first 12 characters. */
export function toKeyPrefix(secret: string): string {
  return secret.slice(0, KEY_PREFIX_LENGTH);
}
