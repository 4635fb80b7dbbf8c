export * from './circuit-breakers.ts';
export * from './executor.ts';
