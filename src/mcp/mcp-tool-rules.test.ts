import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMcpToolAllowed, needsMcpApproval, readMcpToolFacts } from './mcp-tool-rules.ts';

const search = { name: 'search', readOnly: true };
const write = { name: 'write', readOnly: false };

test('allowed_tools: absent allows all; a list or tool_names allow only those; read_only allows only read-only tools', () => {
  const cases: [Parameters<typeof isMcpToolAllowed>[0], boolean, boolean][] = [
    [null, true, true],
    [undefined, true, true],
    [['search'], true, false],
    [[], false, false],
    [{ tool_names: ['write'] }, false, true],
    [{ read_only: true }, true, false],
    [{ tool_names: ['write'], read_only: true }, false, false],
  ];
  for (const [allowed, searchAllowed, writeAllowed] of cases) {
    assert.equal(isMcpToolAllowed(allowed, search), searchAllowed, JSON.stringify(allowed));
    assert.equal(isMcpToolAllowed(allowed, write), writeAllowed, JSON.stringify(allowed));
  }
});

test('require_approval: words, per-tool filters, and the fallback for a tool no filter names', () => {
  assert.equal(needsMcpApproval('always', search), true);
  assert.equal(needsMcpApproval('never', write), false);
  assert.equal(needsMcpApproval(undefined, write), true);
  assert.equal(needsMcpApproval(undefined, write, false), false);
  const filter = { never: { tool_names: ['search'] } };
  assert.equal(needsMcpApproval(filter, search), false);
  assert.equal(needsMcpApproval(filter, write), true);
  assert.equal(needsMcpApproval({ always: { tool_names: ['write'] } }, write, false), true);
  assert.equal(needsMcpApproval({ always: { tool_names: ['write'] } }, search, false), false);
  assert.equal(needsMcpApproval({ never: { read_only: true } }, search), false);
  assert.equal(needsMcpApproval({ never: { read_only: true } }, write), true);
});

test('readMcpToolFacts reads readOnlyHint from the annotations', () => {
  assert.deepEqual(readMcpToolFacts({ name: 'a', annotations: { readOnlyHint: true } }), { name: 'a', readOnly: true });
  assert.deepEqual(readMcpToolFacts({ name: 'b', annotations: null }), { name: 'b', readOnly: false });
});
