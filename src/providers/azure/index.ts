export * from './azure-adapter.ts';
export * from './azure-auth.ts';
export * from './convert-to-azure-request.ts';
export * from './map-azure-error.ts';
