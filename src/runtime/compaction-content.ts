// Crossway's compaction items: POST /v1/responses/compact condenses a conversation into the user's messages plus one
// `compaction` item whose `encrypted_content` is opaque to clients, as OpenAI's is. Crossway's carries the summary
// sealed with AES-256-GCM under a key only the gateway holds, bound to the tenant it was made for, so that a client
// can neither read nor alter it, nor replay another tenant's; before a turn is translated, its compaction items are
// opened into the system message the model reads.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { InvalidRequestError, type ResponseItem } from '../wire/index.ts';

/**
 * The store setting holding the installation's compaction key (32 random bytes, hex): written once, like the
 * virtual-key hash secret, and shared by every replica of the installation.
 */
export const COMPACTION_KEY_SETTING = 'compaction_content_key';

/** The versioned prefix of the current format: `crossway.compaction.v2.` + base64url(nonce ‖ tag ‖ ciphertext). */
const PREFIX = 'crossway.compaction.v2.';

/** The first format: the summary in plain base64 JSON, readable and forgeable by anyone; refused since v2. */
const PLAIN_PREFIX = 'crossway.compaction.v1.';

const CIPHER = 'aes-256-gcm';
/** A random 96-bit nonce per item, as NIST SP 800-38D recommends for GCM. */
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** How the summary is introduced to the model when the compaction item is sent back as context. */
export const COMPACTION_PREAMBLE = 'Summary of the earlier part of this conversation (compacted):';

/** The instruction a compaction pass runs under. */
export const COMPACTION_INSTRUCTIONS =
  'Summarize the conversation so far for a model that will continue it without seeing it: keep every fact, decision, ' +
  'open question, tool result and commitment the user or the assistant made, in the order they happened. Write plain ' +
  'prose, no preamble.';

/** What seals and opens a compaction item: the installation's key and the tenant the item belongs to. */
export interface CompactionSealing {
  /** 32 bytes (COMPACTION_KEY_SETTING). */
  key: Buffer;
  tenant: string;
}

/** A new installation's compaction key, hex-encoded for the settings table. */
export function createCompactionKey(): string {
  return randomBytes(KEY_BYTES).toString('hex');
}

/** The tenant as additional authenticated data, with the format's name, so that a sealed item opens for it alone. */
function associatedData(tenant: string): Buffer {
  return Buffer.from(`${PREFIX}tenant:${tenant}`, 'utf8');
}

/** The opaque `encrypted_content` of a compaction item carrying `summary`, for `sealing.tenant` only. */
export function sealCompactionContent(summary: string, sealing: CompactionSealing): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(CIPHER, sealing.key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(sealing.tenant));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify({ summary }), 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

/**
 * The summary a compaction item carries. 400 naming `param` when the item was not sealed by this installation for
 * this tenant, was altered, is malformed, or is in the old plain format.
 */
export function openCompactionContent(content: string, sealing: CompactionSealing, param: string): string {
  if (content.startsWith(PLAIN_PREFIX)) {
    throw new InvalidRequestError(
      'This compaction item is in an earlier, unencrypted format that this gateway no longer accepts. Send the items it replaced instead, or compact again.',
      param,
      'invalid_encrypted_content',
    );
  }
  const unreadable = new InvalidRequestError(
    'This compaction item cannot be read: it was not made by this gateway for this tenant, or it was altered. Send the items it replaced instead, or ' +
      'compact again through this gateway.',
    param,
    'invalid_encrypted_content',
  );
  if (!content.startsWith(PREFIX)) throw unreadable;
  const sealed = Buffer.from(content.slice(PREFIX.length), 'base64url');
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw unreadable;
  try {
    const decipher = createDecipheriv(CIPHER, sealing.key, sealed.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(sealing.tenant));
    decipher.setAuthTag(sealed.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
    const plain = Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    const parsed = JSON.parse(plain) as { summary?: unknown };
    if (typeof parsed.summary === 'string') return parsed.summary;
  } catch {
    // A failed authentication (altered, foreign key or tenant) or a malformed payload: the refusal below.
  }
  throw unreadable;
}

/**
 * `items` with every compaction item opened into the system message that carries its summary, one for one (so that
 * positions, which truncation counts, stay the same); `paramOf(index)` names the item in an error.
 */
export function openCompactionItems(items: readonly ResponseItem[], sealing: CompactionSealing, paramOf: (index: number) => string): ResponseItem[] {
  if (!items.some((item) => item.type === 'compaction')) return items as ResponseItem[];
  return items.map((item, index) => {
    if (item.type !== 'compaction') return item;
    const summary = openCompactionContent(item.encrypted_content, sealing, paramOf(index));
    return {
      type: 'message',
      id: item.id,
      role: 'system',
      content: [{ type: 'input_text', text: `${COMPACTION_PREAMBLE}\n\n${summary}` }],
      status: 'completed',
    };
  });
}

/**
 * The refusal for a compaction item that reached a translation unopened: only the caller holds the key, and it opens
 * every compaction item (openCompactionItems) first.
 */
export function unopenedCompactionError(): InvalidRequestError {
  return new InvalidRequestError('This compaction item cannot be read here. Send the items it replaced instead.', 'input', 'invalid_encrypted_content');
}
