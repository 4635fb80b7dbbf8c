export * from './metering-error.ts';
export * from './money.ts';
export * from './price-usage.ts';
export * from './accrue-revenue-share.ts';
export * from './build-transfers.ts';
export * from './verify-ledger.ts';
