export * from './virtual-key.ts';
export * from './tenancy-schemas.ts';
export * from './tenancy.ts';
export * from './tenancy-views.ts';
export * from './limiter.ts';
export * from './format-rate-limit-duration.ts';
export * from './confine-key-limits.ts';
