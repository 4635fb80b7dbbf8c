import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CliOutput } from './cli-output.ts';
import { runCli } from './run-cli.ts';

function capture(): CliOutput & { text: { stdout: string; stderr: string } } {
  const text = { stdout: '', stderr: '' };
  return { text, stdout: { write: (chunk: string) => (text.stdout += chunk) }, stderr: { write: (chunk: string) => (text.stderr += chunk) } };
}

describe('runCli', () => {
  it('writes to the output it is given: help on stdout, an unknown command on stderr with exit code 2', async () => {
    const help = capture();
    assert.equal(await runCli(['help'], help), 0);
    assert.match(help.text.stdout, /^Usage: crossway <command>/);
    assert.equal(help.text.stderr, '');
    const unknown = capture();
    assert.equal(await runCli(['frobnicate'], unknown), 2);
    assert.equal(unknown.text.stdout, '');
    assert.match(unknown.text.stderr, /Unknown command 'frobnicate'/);
  });

  it("writes a command's usage error to the output's stderr", async () => {
    const output = capture();
    assert.equal(await runCli(['plan', '--regoin', 'eu'], output), 2);
    assert.match(output.text.stderr, /^crossway: .*regoin/);
  });
});
