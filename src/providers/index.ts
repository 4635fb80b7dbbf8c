export type * from './provider-adapter.ts';
export * from './provider-registry.ts';
export * from './create-authenticator.ts';
export * from './sse/index.ts';
export { bedrockAdapter, createBedrockAdapter, createSigV4Authenticator, type SigV4AuthDeps } from './bedrock/index.ts';
export { createGoogleAuthenticator, defaultVertexEndpoint, vertexAdapter, type GoogleAuthDeps } from './vertex/index.ts';
export { splitUpstreamUrl } from './build-endpoint-url.ts';
export { dropNullUsage, replaceJsonModel } from './openai/index.ts';
