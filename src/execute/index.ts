export * from './attempt-control.ts';
export * from './executor.ts';
export * from './retry-budget.ts';
export * from './route-health.ts';
export * from './route-health-peers.ts';
export * from './serves-responses-natively.ts';
export * from './scrub-secrets.ts';
export * from './attempt-observer.ts';
