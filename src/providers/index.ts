export type * from './provider-adapter.ts';
export * from './provider-registry.ts';
export * from './create-authenticator.ts';
export * from './sse/index.ts';
