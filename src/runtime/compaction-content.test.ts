import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { InvalidRequestError, type ResponseItem } from '../wire/index.ts';
import { COMPACTION_PREAMBLE, createCompactionKey, openCompactionContent, openCompactionItems, sealCompactionContent } from './compaction-content.ts';
import { convertResponseItemsToChatMessages } from './convert-response-items-to-chat-messages.ts';

const key = Buffer.from(createCompactionKey(), 'hex');
const acme = { key, tenant: 'acme' };
const SUMMARY = 'The vault code is obsidian-381; the courier is Imogen.';

/** The InvalidRequestError `open` throws, for its param and code. */
function refusal(open: () => unknown): InvalidRequestError {
  try {
    open();
  } catch (error) {
    assert.ok(error instanceof InvalidRequestError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

describe('compaction content', () => {
  it('round trips: what the gateway seals for a tenant opens for that tenant', () => {
    const sealed = sealCompactionContent(SUMMARY, acme);
    assert.match(sealed, /^crossway\.compaction\.v2\.[A-Za-z0-9_-]+$/);
    assert.equal(openCompactionContent(sealed, acme, 'input[0].encrypted_content'), SUMMARY);
    // A fresh nonce per item: the same summary never seals to the same text.
    assert.notEqual(sealCompactionContent(SUMMARY, acme), sealed);
  });

  it('is not readable: neither the summary nor base64 JSON is in it', () => {
    const sealed = sealCompactionContent(SUMMARY, acme);
    const payload = Buffer.from(sealed.slice('crossway.compaction.v2.'.length), 'base64url');
    assert.doesNotMatch(payload.toString('utf8'), /obsidian|summary/);
    assert.throws(() => JSON.parse(payload.toString('utf8')));
    assert.throws(() => JSON.parse(payload.subarray(28).toString('utf8')));
    assert.doesNotMatch(sealed, /obsidian/);
  });

  it('refuses an item with any one byte altered, with a 400 naming the item', () => {
    const sealed = sealCompactionContent(SUMMARY, acme);
    const payload = Buffer.from(sealed.slice('crossway.compaction.v2.'.length), 'base64url');
    for (const position of [0, 12, 28, payload.length - 1]) {
      const altered = Buffer.from(payload);
      altered[position] = (altered[position] as number) ^ 0x01;
      const error = refusal(() => openCompactionContent(`crossway.compaction.v2.${altered.toString('base64url')}`, acme, 'input[3].encrypted_content'));
      assert.equal(error.status, 400);
      assert.equal(error.param, 'input[3].encrypted_content');
      assert.equal(error.code, 'invalid_encrypted_content');
    }
  });

  it("refuses another tenant's item and another installation's", () => {
    const sealed = sealCompactionContent(SUMMARY, acme);
    assert.equal(refusal(() => openCompactionContent(sealed, { key, tenant: 'globex' }, 'input[0].encrypted_content')).code, 'invalid_encrypted_content');
    assert.equal(
      refusal(() => openCompactionContent(sealed, { key: randomBytes(32), tenant: 'acme' }, 'input[0].encrypted_content')).code,
      'invalid_encrypted_content',
    );
  });

  it('refuses malformed items and the old plain format, with a 400 and a clear message', () => {
    const plain = `crossway.compaction.v1.${Buffer.from(JSON.stringify({ summary: 'forged' })).toString('base64url')}`;
    assert.match(refusal(() => openCompactionContent(plain, acme, 'input[0].encrypted_content')).message, /earlier, unencrypted format/);
    for (const content of [
      'gAAAAB-not-ours',
      'crossway.compaction.v2.',
      'crossway.compaction.v2.AAAA',
      'crossway.compaction.v2.!!!',
      `crossway.compaction.v2.${'A'.repeat(100)}`,
    ]) {
      assert.equal(refusal(() => openCompactionContent(content, acme, 'input[0].encrypted_content')).param, 'input[0].encrypted_content', content);
    }
  });

  it('opens items one for one into the system message the model reads, naming a bad one by its position', () => {
    const items: ResponseItem[] = [
      { type: 'message', id: 'msg_1', role: 'user', content: [{ type: 'input_text', text: 'hi' }], status: 'completed' },
      { type: 'compaction', id: 'cmp_1', encrypted_content: sealCompactionContent(SUMMARY, acme) },
    ];
    const opened = openCompactionItems(items, acme, (index) => `input[${index}].encrypted_content`);
    assert.equal(opened.length, 2);
    assert.deepEqual(convertResponseItemsToChatMessages(null, opened), [
      { role: 'user', content: 'hi' },
      { role: 'system', content: `${COMPACTION_PREAMBLE}\n\n${SUMMARY}` },
    ]);
    assert.equal(
      refusal(() => openCompactionItems(items, { key, tenant: 'globex' }, (index) => `input[${index}].encrypted_content`)).param,
      'input[1].encrypted_content',
    );
    // Unopened, a translation cannot read it.
    assert.equal(refusal(() => convertResponseItemsToChatMessages(null, items)).code, 'invalid_encrypted_content');
  });
});
