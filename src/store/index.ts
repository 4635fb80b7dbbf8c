export * from './store.ts';
export * from './store-database.ts';
export * from './store-migrations.ts';
export * from './kysely-store.ts';
export * from './node-sqlite-dialect.ts';
export * from './sqlite-store.ts';
export * from './request-log-writer.ts';
