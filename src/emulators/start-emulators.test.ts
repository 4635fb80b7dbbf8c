// startEmulators: which clouds start, on which ports, with which options, and that close() stops them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AZURE_EMULATOR_API_KEY } from './azure-openai-emulator.ts';
import { OPENAI_EMULATOR_API_KEY } from './openai-emulator.ts';
import { startEmulators } from './start-emulators.ts';

describe('startEmulators', () => {
  it('starts openai and azure on free ports with their default keys', async () => {
    const running = await startEmulators({ basePort: 0 });
    try {
      const { openai, azure } = running.emulators;
      assert.ok(openai && azure);
      assert.notEqual(openai.port, azure.port);
      assert.match(openai.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const models = await fetch(`${openai.url}/v1/models`, { headers: { authorization: `Bearer ${OPENAI_EMULATOR_API_KEY}` } });
      assert.equal(models.status, 200);
      assert.equal(models.headers.get('x-crossway-emulator'), 'openai');
      const azureModels = await fetch(`${azure.url}/openai/v1/models`, { headers: { 'api-key': AZURE_EMULATOR_API_KEY } });
      assert.equal(azureModels.status, 200);
      assert.equal(azureModels.headers.get('x-crossway-emulator'), 'azure');
    } finally {
      await running.close();
    }
    await assert.rejects(fetch(`${running.emulators.openai!.url}/v1/models`));
  });

  it('starts only the clouds asked for and passes their options', async () => {
    const running = await startEmulators({ basePort: 0, only: ['azure'], azure: { apiKeys: ['custom-key'] } });
    try {
      assert.deepEqual(Object.keys(running.emulators), ['azure']);
      const response = await fetch(`${running.emulators.azure!.url}/openai/v1/models`, { headers: { 'api-key': 'custom-key' } });
      assert.equal(response.status, 200);
    } finally {
      await running.close();
    }
  });

  it('puts each cloud on basePort + its index', async () => {
    // A free port is probed first; its neighbours may be taken by other processes, so a few bases are tried.
    for (let tries = 0; ; tries += 1) {
      const probe = await startEmulators({ basePort: 0, only: ['openai'] });
      const free = probe.emulators.openai!.port;
      await probe.close();
      let running: Awaited<ReturnType<typeof startEmulators>>;
      try {
        running = await startEmulators({ basePort: free });
      } catch (error) {
        if ((error as { code?: string }).code === 'EADDRINUSE' && tries < 5) continue;
        throw error;
      }
      try {
        assert.deepEqual(
          ['openai', 'azure', 'bedrock', 'vertex'].map((cloud) => running.emulators[cloud]?.port),
          [free, free + 1, free + 2, free + 3],
        );
      } finally {
        await running.close();
      }
      return;
    }
  });
});
