// Static-key authenticators for OpenAI-wire routes: `Authorization: Bearer <key>` (OpenAI, vLLM, Ollama, llama.cpp)
// or a named key header (Azure's `api-key`, or whatever header an OpenAI-compatible server wants).
// Sources: OpenAI API reference "Authentication"; Azure OpenAI REST reference "Authentication" (`api-key` header).
import type { Secret } from '../../catalog/index.ts';
import type { Authenticator, UpstreamRequest } from '../provider-adapter.ts';

/** Sends `Authorization: Bearer <key>`. */
export function createBearerAuthenticator(key: Secret): Authenticator {
  return {
    authorize: async (request) => withHeader(request, 'authorization', `Bearer ${key.reveal()}`),
  };
}

/** Sends the key in the header `headerName` (default `api-key`, Azure's). */
export function createKeyHeaderAuthenticator(key: Secret, headerName = 'api-key'): Authenticator {
  const name = headerName.toLowerCase();
  return {
    authorize: async (request) => withHeader(request, name, key.reveal()),
  };
}

/**
 * A copy of `request` with header `name` (lower case) set to `value`, replacing any spelling of the same name; the
 * URL, method and body are never touched.
 */
export function withHeader(request: UpstreamRequest, name: string, value: string): UpstreamRequest {
  const headers: Record<string, string> = {};
  for (const [key, existing] of Object.entries(request.headers)) {
    if (key.toLowerCase() !== name) headers[key] = existing;
  }
  headers[name] = value;
  return { ...request, headers };
}
