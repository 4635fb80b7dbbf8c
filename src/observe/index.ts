export * from './logger.ts';
export * from './metrics.ts';
export * from './server-timing.ts';
export * from './metrics-cluster.ts';
export * from './tracing.ts';
export * from './tracing-settings.ts';
export { genAiProviderName, type TokenCounts } from './tracing-genai.ts';
