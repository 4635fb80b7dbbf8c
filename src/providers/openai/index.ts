export * from './openai-adapter.ts';
export * from './openai-api.ts';
export * from './openai-auth.ts';
export * from './openai-stream-decoder.ts';
export * from './convert-to-openai-request.ts';
export * from './convert-openai-response.ts';
export * from './map-openai-error.ts';
