// Tests of summarising non-JSON error bodies into one short line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarizeErrorBody } from './summarize-error-body.ts';

const cases: { name: string; text: string; expected: string }[] = [
  { name: 'empty', text: '', expected: 'HTTP 502' },
  {
    name: 'plain text collapsed to one line',
    text: 'upstream connect error\n  or disconnect/reset before headers',
    expected: 'upstream connect error or disconnect/reset before headers',
  },
  { name: 'HTML title', text: '<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>', expected: '502 Bad Gateway' },
  {
    name: 'HTML without title: text without tags, scripts and styles',
    text: '<!DOCTYPE html><html><style>p{}</style><body><p>Service</p> <b>down</b><script>x()</script></body></html>',
    expected: 'Service down',
  },
  { name: 'long text cut', text: 'a'.repeat(1000), expected: `${'a'.repeat(299)}…` },
];

for (const item of cases) {
  test(item.name, () => assert.equal(summarizeErrorBody(item.text, 502), item.expected));
}
