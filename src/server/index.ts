export * from './authenticate.ts';
export * from './gateway-server.ts';
export * from './gateway-types.ts';
export * from './http-result.ts';
export * from './start-gateway.ts';
export * from './replace-catalog.ts';
export * from './audit-trail.ts';
