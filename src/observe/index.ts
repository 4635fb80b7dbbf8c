export * from './logger.ts';
export * from './tracing.ts';
export * from './tracing-settings.ts';
export { genAiProviderName, type TokenCounts } from './tracing-genai.ts';
