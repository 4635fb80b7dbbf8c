export * from './catalog-schema.ts';
export * from './load-catalog.ts';
export * from './secret.ts';
export * from './auth-config-schema.ts';
