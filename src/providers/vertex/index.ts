export * from './vertex-adapter.ts';
export * from './vertex-auth.ts';
export * from './convert-to-vertex-request.ts';
export * from './map-vertex-error.ts';
