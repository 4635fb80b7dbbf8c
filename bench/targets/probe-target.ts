// Checks that a target really answers before it is measured: a fast error page would otherwise look like a fast proxy.
import { request as undiciRequest } from 'undici';
import type { Target } from './start-targets.ts';

/** null when the target answered correctly, else why not (status and the start of the body). */
export async function probeTarget(target: Target, stream: boolean, expectedChunks: number): Promise<string | null> {
  const call = target.request(stream);
  try {
    const response = await undiciRequest(call.url, {
      method: 'POST',
      headers: call.headers,
      body: call.body,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) return `HTTP ${response.statusCode}: ${text.slice(0, 200)}`;
    if (!stream) {
      const parsed = JSON.parse(text) as { object?: string; choices?: unknown[] };
      return parsed.object === 'chat.completion' && Array.isArray(parsed.choices) ? null : `not a chat completion: ${text.slice(0, 200)}`;
    }
    const chunks = text.split('\n\n').filter((event) => event.includes('chat.completion.chunk')).length;
    if (!text.trimEnd().endsWith('data: [DONE]')) return `stream did not end with data: [DONE]: ${text.slice(-200)}`;
    return chunks >= expectedChunks ? null : `only ${chunks} chunks (expected at least ${expectedChunks})`;
  } catch (error) {
    return `request failed: ${(error as Error).message}`;
  }
}
