export * from './run-cli.ts';
