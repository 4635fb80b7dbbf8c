export * from './split-sse-events.ts';
export * from './encode-sse.ts';
export * from './join-adjacent.ts';
