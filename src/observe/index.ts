export * from './logger.ts';
export * from './metrics.ts';
export * from './server-timing.ts';
export * from './metrics-cluster.ts';
