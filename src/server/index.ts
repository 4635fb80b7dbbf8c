export * from './authenticate.ts';
export * from './decision-log.ts';
export * from './gateway-server.ts';
export * from './gateway-types.ts';
export * from './send-error.ts';
export * from './start-gateway.ts';
export * from './to-decision-record.ts';
